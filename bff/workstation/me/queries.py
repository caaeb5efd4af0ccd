"""`me`: the caller's profile, roles and entitlements."""

from __future__ import annotations

import strawberry

from bff.common.fields import field
from bff.context import Info
from bff.workstation.me.types import Me


@strawberry.type
class MeQueries:
    @field("The authenticated caller: profile, roles, permissions, entitlements")
    def me(self, info: Info) -> Me:
        return Me.from_principal(info.context.require_principal())

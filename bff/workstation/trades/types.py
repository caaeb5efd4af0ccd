"""Trade entity. No trade downstream is wired yet: lookups answer "not found"."""

from __future__ import annotations

import strawberry

from bff.context import Info


@strawberry.federation.type(keys=["id"], description="An executed trade")
class Trade:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Trade | None:
        info.context.require_principal()
        return None  # no trade downstream yet: every reference resolves to null (not found)

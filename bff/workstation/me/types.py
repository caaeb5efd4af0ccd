"""The caller's own profile, straight from the validated access token."""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from bff.auth import permissions_of
from bff.auth.principal import Principal


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class User:
    """Stub of the admin subgraph's User entity (that subgraph resolves its fields)."""

    id: strawberry.ID


@strawberry.type(description="Who you are: user, tenant, roles, permissions, entitlements")
class Me:
    user: User
    tenant_id: strawberry.ID
    username: str | None
    roles: list[str]
    permissions: list[str]
    asset_classes: list[str]
    venues: list[str]

    @classmethod
    def from_principal(cls, principal: Principal) -> Me:
        ents = principal.entitlements
        return cls(
            user=User(id=strawberry.ID(principal.sub)),
            tenant_id=strawberry.ID(principal.tenant_id),
            username=principal.username,
            roles=sorted(principal.roles),
            permissions=sorted(permissions_of(principal)),
            asset_classes=sorted(ents.asset_classes),
            venues=sorted(ents.venues),
        )

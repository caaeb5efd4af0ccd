"""User entity. No identity directory is wired yet: only the caller's own user resolves."""

from __future__ import annotations

import strawberry

from bff.context import Info


@strawberry.federation.type(keys=["id"], description="A user of the platform")
class User:
    id: strawberry.ID
    username: str | None
    tenant_id: strawberry.ID
    roles: list[str]

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> User | None:
        """Other users resolve to null until the identity service exposes a directory."""
        principal = info.context.require_principal()
        if str(id) != principal.sub:
            return None
        return cls(
            id=id,
            username=principal.username,
            tenant_id=strawberry.ID(principal.tenant_id),
            roles=sorted(principal.roles),
        )

"""Order entity. No OMS downstream is wired yet: lookups answer "not found"."""

from __future__ import annotations

import strawberry

from bff.context import Info


@strawberry.federation.type(keys=["id"], description="An order (OMS)")
class Order:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Order | None:
        info.context.require_principal()
        return None  # no OMS downstream yet: every reference resolves to null (not found)

"""Rfq entity. The RFQ service is not wired into the BFF yet: lookups answer "not found"."""

from __future__ import annotations

import strawberry

from bff.context import Info


@strawberry.federation.type(keys=["id"], description="A request for quote")
class Rfq:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Rfq | None:
        info.context.require_principal()
        return None  # no RFQ downstream yet: every reference resolves to null (not found)

"""Tenant entity: the caller's own tenant, with reference-data counts; others are not found."""

from __future__ import annotations

import strawberry

from bff.common.fields import field
from bff.context import Info


@strawberry.federation.type(keys=["id"], description="A tenant (customer) of the platform")
class Tenant:
    id: strawberry.ID

    @field("Instruments configured for this tenant")
    async def instrument_count(self, info: Info) -> int:
        return len(await info.context.downstreams.refdata.list_instruments())

    @field("Venues configured for this tenant")
    async def venue_count(self, info: Info) -> int:
        return len(await info.context.downstreams.refdata.list_venues())

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Tenant | None:
        """Another tenant is "not found" (null): no existence leak across tenants."""
        principal = info.context.require_principal()
        return cls(id=id) if str(id) == principal.tenant_id else None

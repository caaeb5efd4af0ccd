"""Admin reference-data reads."""

from __future__ import annotations

import strawberry

from bff.admin.instruments.types import Venue
from bff.auth import Permission, require
from bff.common.fields import field
from bff.context import Info


@strawberry.type
class VenueQueries:
    @field("Venues of your tenant (needs admin:refdata)")
    async def venues(self, info: Info) -> list[Venue]:
        require(info.context.require_principal(), Permission.MANAGE_REFDATA)
        rows = await info.context.downstreams.refdata.list_venues()
        return [Venue.from_pb(v) for v in rows]

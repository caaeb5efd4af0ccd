"""RFQ reads through the RFQ service: one RFQ, and a filtered, cursor-paginated list."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from bff.common.fields import field
from bff.context import Info
from bff.workstation.rfq.inputs import RfqFilter
from bff.workstation.rfq.mutations import rfq_client
from bff.workstation.rfq.types import Rfq
from orion.rfq.v1 import rfq_service_pb2 as pb

MAX_PAGE = 200


@strawberry.type(description="One page of RFQs, newest first; pass endCursor as `after`")
class RfqPage:
    nodes: list[Rfq]
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class RfqQueries:
    @field("One RFQ of your tenant with its ranked quotes; null when unknown")
    async def rfq(self, info: Info, id: strawberry.ID) -> Rfq | None:
        row = await rfq_client(info).get_rfq(info.context.require_principal(), str(id))
        return None if row is None else Rfq.from_pb(row)

    @field("Your tenant's RFQs, newest first (the service's order), filtered, by cursor")
    async def rfqs(
        self,
        info: Info,
        filter: RfqFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> RfqPage:
        request = pb.ListRfqsRequest(
            page_size=min(max(first, 1), MAX_PAGE),
            page_token=after or "",
            states=[s.to_pb() for s in (filter.statuses or []) if s.value != "UNSPECIFIED"]
            if filter
            else [],
            instrument_id=str(filter.instrument_id or "") if filter else "",
        )
        response = await rfq_client(info).list_rfqs(info.context.require_principal(), request)
        now = datetime.now(UTC)
        token = response.next_page_token
        return RfqPage(
            nodes=[Rfq.from_pb(r, now) for r in response.rfqs],
            end_cursor=token or None,
            has_next_page=bool(token),
        )

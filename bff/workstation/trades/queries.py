"""Trade reads from the trade blotter read model, tenant from the token."""

from __future__ import annotations

import strawberry

from bff.common.fields import field
from bff.context import Info
from bff.grpc.errors import DownstreamUnavailable
from bff.grpc.rfq_trades import TradeBlotter
from bff.workstation.trades.types import Trade


def blotter(info: Info) -> TradeBlotter:
    trades = info.context.downstreams.trades
    if trades is None:
        raise DownstreamUnavailable("trades", "the trade blotter is not configured in this BFF")
    return trades


@strawberry.type
class TradeQueries:
    @field("Your tenant's trades, newest first (at most 500), optionally of one RFQ or instrument")
    async def trades(
        self,
        info: Info,
        limit: int = 100,
        rfq_id: strawberry.ID | None = None,
        instrument_id: strawberry.ID | None = None,
    ) -> list[Trade]:
        tenant = info.context.require_principal().tenant_id
        rows = await blotter(info).list(tenant, limit if not (rfq_id or instrument_id) else 500)
        trades = [Trade.from_row(r.data) for r in rows]
        if rfq_id:
            trades = [t for t in trades if t.rfq_id == rfq_id]
        if instrument_id:
            trades = [t for t in trades if t.instrument_id == instrument_id]
        return trades[: max(0, limit)]

    @field("One trade of your tenant; null when unknown")
    async def trade(self, info: Info, id: strawberry.ID) -> Trade | None:
        tenant = info.context.require_principal().tenant_id
        row = await blotter(info).get(tenant, str(id))
        return None if row is None else Trade.from_row(row.data)

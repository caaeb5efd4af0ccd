"""`blotterUpdates`: upserts of the tenant's RFQs and their trades for the blotters.

Polls the RFQ service's newest page of RFQs (one call per interval per subscription) and reads
a trade from the blotter read model when an RFQ first names one. The first message is READY (no
row): the client loads the blotters with `rfqs`/`trades`, then applies upserts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from enum import Enum

import strawberry

from bff.auth.policy import enforce_subscription
from bff.common.fields import subscription
from bff.context import Info
from bff.workstation.rfq.mutations import rfq_client
from bff.workstation.rfq.types import Rfq
from bff.workstation.trades.types import Trade
from orion.rfq.v1 import rfq_service_pb2 as pb

MIN_INTERVAL_MS, MAX_INTERVAL_MS = 250, 10_000
PAGE = 50


@strawberry.enum(description="READY once at the start; then one RFQ or one trade per message")
class BlotterUpdateKind(Enum):
    READY = "READY"
    RFQ = "RFQ"
    TRADE = "TRADE"


@strawberry.type(description="An upsert for the blotters: rfq or trade is set (neither on READY)")
class BlotterUpdate:
    kind: BlotterUpdateKind
    server_time: datetime
    rfq: Rfq | None = None
    trade: Trade | None = None


def _update(kind: BlotterUpdateKind, **row: Rfq | Trade) -> BlotterUpdate:
    return BlotterUpdate(kind=kind, server_time=datetime.now(UTC), **row)  # type: ignore[arg-type]


@strawberry.type
class BlotterSubscriptions:
    @subscription("READY, then upserts of your tenant's newest RFQs and their trades")
    async def blotter_updates(
        self, info: Info, interval_ms: int = 1000
    ) -> AsyncGenerator[BlotterUpdate, None]:
        enforce_subscription(info)
        who = info.context.require_principal()
        client = rfq_client(info)
        trades = info.context.downstreams.trades
        interval = min(max(interval_ms, MIN_INTERVAL_MS), MAX_INTERVAL_MS) / 1000
        request = pb.ListRfqsRequest(page_size=PAGE)
        rows = (await client.list_rfqs(who, request)).rfqs
        seen = {r.rfq_id: r.version for r in rows}
        traded = {r.trade_id for r in rows if r.trade_id}
        yield _update(BlotterUpdateKind.READY)
        while True:
            await asyncio.sleep(interval)  # every loop awaits: never starve the event loop
            rows = (await client.list_rfqs(who, request)).rfqs
            now = datetime.now(UTC)
            for row in reversed(rows):  # oldest first, as they happened
                if seen.get(row.rfq_id) != row.version:
                    yield _update(BlotterUpdateKind.RFQ, rfq=Rfq.from_pb(row, now))
                if row.trade_id and row.trade_id not in traded and trades is not None:
                    found = await trades.get(who.tenant_id, row.trade_id)
                    if found is not None:
                        traded.add(row.trade_id)
                        yield _update(BlotterUpdateKind.TRADE, trade=Trade.from_row(found.data))
            seen = {r.rfq_id: r.version for r in rows}  # bounded by the page
            traded &= {r.trade_id for r in rows if r.trade_id}

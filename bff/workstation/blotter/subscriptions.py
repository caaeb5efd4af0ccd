"""`blotterUpdates`: upserts of the tenant's RFQs and their trades for the blotters.

Reads the RFQ service's newest page of RFQs and reads a trade from the blotter read model when an
RFQ first names one. With the BFF's RFQ change feed (real profile) a page is read only after a
change of one of the tenant's RFQs (at most once per interval, so a burst costs one read), or
after FALLBACK_S without one; a trade named but not yet in the read model is looked for again
each interval. Without a feed the page is polled every interval. The first message is READY (no
row): the client loads the blotters with `rfqs`/`trades`, then applies upserts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

import strawberry

from bff.auth.policy import enforce_subscription
from bff.common.fields import subscription
from bff.context import Info
from bff.grpc.rfq_feed import next_change
from bff.grpc.rfq_trades import TradeBlotter
from bff.workstation.rfq.mutations import rfq_client
from bff.workstation.rfq.types import Rfq
from bff.workstation.trades.types import Trade
from orion.rfq.v1 import rfq_pb2
from orion.rfq.v1 import rfq_service_pb2 as pb

MIN_INTERVAL_MS, MAX_INTERVAL_MS = 250, 10_000
PAGE = 50
FALLBACK_S = 5.0  # with a live feed: read anyway after this long (a missed fact costs this much)


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
        feed = client.changes
        watch = feed.watch_tenant(who.tenant_id) if feed is not None else None
        with watch if watch is not None else contextlib.nullcontext() as changed:
            rows = (await client.list_rfqs(who, request)).rfqs  # after registering the watch
            seen = _Seen(
                {r.rfq_id: r.version for r in rows}, {r.trade_id for r in rows if r.trade_id}
            )
            yield _update(BlotterUpdateKind.READY)
            loop = asyncio.get_running_loop()
            while True:
                not_before = loop.time() + interval
                # A named trade not in the read model yet: look again after one interval.
                live = None if seen.missing else feed
                await next_change(
                    live, changed, poll_s=interval, timeout_s=FALLBACK_S, not_before=not_before
                )
                if changed is not None:
                    changed.clear()  # before the read: a change during it wakes the next wait
                rows = (await client.list_rfqs(who, request)).rfqs
                for update in await _upserts(rows, seen, trades, who.tenant_id):
                    yield update


@dataclass
class _Seen:
    """What this subscription has sent: RFQ versions and trade ids (bounded by the page)."""

    versions: dict[str, int]
    trades: set[str]
    missing: bool = False  # an RFQ names a trade the read model does not have yet


async def _upserts(
    rows: Sequence[rfq_pb2.Rfq], seen: _Seen, trades: TradeBlotter | None, tenant_id: str
) -> list[BlotterUpdate]:
    """The upserts a fresh page means, oldest first (as they happened); updates `seen`."""
    now, out = datetime.now(UTC), []
    seen.missing = False
    for row in reversed(rows):
        if seen.versions.get(row.rfq_id) != row.version:
            out.append(_update(BlotterUpdateKind.RFQ, rfq=Rfq.from_pb(row, now)))
        if row.trade_id and row.trade_id not in seen.trades and trades is not None:
            found = await trades.get(tenant_id, row.trade_id)
            seen.missing = seen.missing or found is None  # the projector lags: look again
            if found is not None:
                seen.trades.add(row.trade_id)
                out.append(_update(BlotterUpdateKind.TRADE, trade=Trade.from_row(found.data)))
    seen.versions = {r.rfq_id: r.version for r in rows}
    seen.trades &= {r.trade_id for r in rows if r.trade_id}
    return out

"""`rfqUpdates`: one RFQ with its ranked live quotes and time remaining, on every change.

Pushed when the BFF has an RFQ change feed (the lifecycle topic, real profile): the RFQ is read
again only when a fact about it arrives, or once a heartbeat. Without one it is polled.
A change right after a read waits out MIN_READ_GAP_S, so a burst of facts (an RFQ's quotes land
within a few ms of each other) costs one read of the RFQ service and one push, not one each.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry

from bff.auth.policy import enforce_subscription
from bff.common.fields import subscription
from bff.context import Info
from bff.grpc.errors import DownstreamNotFound
from bff.grpc.rfq_feed import next_change
from bff.workstation.rfq.mutations import rfq_client
from bff.workstation.rfq.types import TERMINAL, Rfq

MIN_INTERVAL_MS, MAX_INTERVAL_MS = 100, 5_000
HEARTBEAT_S = 1.0  # re-send at least this often while open, so timeRemainingMs stays fresh
MIN_READ_GAP_S = 0.025  # at most one read per subscription this often (a burst's coalescing)


@strawberry.type(description="The whole RFQ at serverTime")
class RfqUpdate:
    server_time: datetime
    rfq: Rfq


@strawberry.type
class RfqSubscriptions:
    @subscription("The RFQ now, then on every change (and each second while open); ends final")
    async def rfq_updates(
        self, info: Info, rfq_id: strawberry.ID, interval_ms: int = 250
    ) -> AsyncGenerator[RfqUpdate, None]:
        enforce_subscription(info)
        who = info.context.require_principal()
        client = rfq_client(info)
        interval = min(max(interval_ms, MIN_INTERVAL_MS), MAX_INTERVAL_MS) / 1000
        feed = client.changes
        with feed.watch(str(rfq_id)) if feed is not None else contextlib.nullcontext() as changed:
            seen: int | None = None
            sent_at = 0.0
            loop = asyncio.get_running_loop()
            while True:
                if changed is not None:
                    changed.clear()  # before the read: a change during it wakes the next wait
                read_at = loop.time()
                row = await client.get_rfq(who, str(rfq_id))
                if row is None:
                    raise DownstreamNotFound("rfq", f"no RFQ {rfq_id}")
                now = datetime.now(UTC)
                rfq = Rfq.from_pb(row, now)
                if row.version != seen or loop.time() - sent_at >= HEARTBEAT_S:
                    seen, sent_at = row.version, loop.time()
                    yield RfqUpdate(server_time=now, rfq=rfq)
                if rfq.status.value in TERMINAL:
                    return
                await next_change(
                    feed,
                    changed,
                    poll_s=interval,
                    timeout_s=HEARTBEAT_S,
                    not_before=read_at + MIN_READ_GAP_S,
                )

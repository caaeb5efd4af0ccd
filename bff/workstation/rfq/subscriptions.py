"""`rfqUpdates`: one RFQ with its ranked live quotes and time remaining, on every change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry

from bff.auth.policy import enforce_subscription
from bff.common.fields import subscription
from bff.context import Info
from bff.grpc.errors import DownstreamNotFound
from bff.workstation.rfq.mutations import rfq_client
from bff.workstation.rfq.types import TERMINAL, Rfq

MIN_INTERVAL_MS, MAX_INTERVAL_MS = 100, 5_000
HEARTBEAT_S = 1.0  # re-send at least this often while open, so timeRemainingMs stays fresh


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
        seen: int | None = None
        sent_at = 0.0
        loop = asyncio.get_running_loop()
        while True:
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
            await asyncio.sleep(interval)  # every loop awaits: never starve the event loop

"""`heartbeat` subscription: a bounded-rate tick per session, the simplest live stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry

from bff.common.fields import subscription
from bff.context import Info
from bff.workstation.session.types import Heartbeat

MIN_INTERVAL_MS = 50
MAX_INTERVAL_MS = 60_000


@strawberry.type
class SessionSubscriptions:
    @subscription("Beats every intervalMs (clamped to 50..60000); first beat at once")
    async def heartbeat(
        self, info: Info, interval_ms: int = 1000, count: int | None = None
    ) -> AsyncGenerator[Heartbeat, None]:
        interval = min(max(interval_ms, MIN_INTERVAL_MS), MAX_INTERVAL_MS) / 1000
        correlation = info.context.current_correlation_id()
        sequence = 0
        while count is None or sequence < count:
            sequence += 1
            yield Heartbeat(sequence=sequence, at=datetime.now(UTC), correlation_id=correlation)
            await asyncio.sleep(interval)  # every loop awaits: never starve the event loop

"""Query/Subscription mixins for the workstation subgraph (the default Strawberry path)."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator

import strawberry

from bff.common.fields import field, subscription
from bff.streaming.model import SelectionKey
from bff.streaming.runtime import current_hub
from bff.streaming.selection import SelectionError, resolve_instruments, resolve_rate
from bff.workstation.marketdata.types import MarketDataUpdate, MarketSnapshot, MarketTick


@strawberry.type
class MarketDataQueries:
    @field("Latest tick of each instrument (explicitly unavailable if the store is down)")
    async def market_snapshot(self, instrument_ids: list[strawberry.ID]) -> MarketSnapshot:
        ids = resolve_instruments(instrument_ids, None)
        hub = current_hub()
        load, ticks = await hub.snapshot(ids)
        found = {t.instrument_id for t in ticks}
        return MarketSnapshot(
            available=load.available,
            unavailable_reason=load.reason or None,
            ticks=[MarketTick.of(t, hub.stale.get(t.instrument_id, False)) for t in ticks],
            missing_instrument_ids=[strawberry.ID(i) for i in ids if i not in found],
        )


@strawberry.type
class MarketDataSubscriptions:
    @subscription("Snapshot first, then coalesced increments (maxRateHz, default 10)")
    async def market_data(
        self,
        instrument_ids: list[strawberry.ID] | None = None,
        watchlist: strawberry.ID | None = None,
        max_rate_hz: int | None = None,
    ) -> AsyncGenerator[MarketDataUpdate, None]:
        try:
            key = SelectionKey.of(
                resolve_instruments(instrument_ids, watchlist), rate_hz=resolve_rate(max_rate_hz)
            )
        except SelectionError as exc:
            raise ValueError(str(exc)) from None
        hub = current_hub()
        sub = await hub.subscribe(key)
        try:
            while (frame := await sub.outbox.get()) is not None:  # get() always awaits
                yield MarketDataUpdate.of(frame)
                hub.stats.deliveries += 1
                hub.stats.latency.observe((time.time_ns() - frame.oldest_receive_ns) / 1e6)
        finally:
            hub.unsubscribe(sub)

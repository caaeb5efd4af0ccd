"""Mid prices for pricing and last look: the market-data snapshot model, else reference mids."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from eventbus.readmodel import ReadModelStore
from orion.marketdata.v1.events_pb2 import MarketTickReceived

log = logging.getLogger(__name__)
SNAPSHOT_MODEL = "md-snapshot"


class MidBoard:
    """A synchronous `mid(instrument)` over a cache refreshed in the background.

    Pricing sits on the hot path, so it reads memory; the refresher copies the market-data
    snapshot read model every `interval_s`, or every `idle_interval_s` while nobody asked for
    a mid for that long (an idle simulator need not read Redis four times a second). Without
    market data the reference mids apply.
    """

    def __init__(
        self,
        reference: Mapping[str, Decimal],
        store: ReadModelStore | None = None,
        interval_s: float = 0.25,
        idle_interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reference = dict(reference)
        self._live: dict[str, Decimal] = {}
        self._store = store
        self._interval_s = interval_s
        self._idle_interval_s = idle_interval_s or interval_s
        self._clock = clock
        self._asked_at = clock()

    def __call__(self, instrument_id: str) -> Decimal | None:
        self._asked_at = self._clock()
        return self._live.get(instrument_id) or self._reference.get(instrument_id)

    def next_interval(self) -> float:
        """The short interval while mids are being asked for, the idle one otherwise."""
        idle = self._clock() - self._asked_at >= self._idle_interval_s
        return self._idle_interval_s if idle else self._interval_s

    def apply(self, instrument_id: str, mid: Decimal) -> None:
        self._live[instrument_id] = mid

    async def refresh(self) -> int:
        """Copy every snapshot tick's mid; returns how many instruments have a live mid."""
        if self._store is None:
            return 0
        for instrument_id, stored in (await self._store.entries(SNAPSHOT_MODEL)).items():
            tick = MarketTickReceived.FromString(stored.value)
            with contextlib.suppress(InvalidOperation):
                self._live[instrument_id] = Decimal(tick.mid)
        return len(self._live)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.refresh()
            except Exception as exc:
                # Stale mids beat no quotes; the next round tries again.
                log.warning("mid refresh failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.next_interval())

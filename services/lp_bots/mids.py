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
    a mid for that long (an idle simulator need not read Redis four times a second). With
    `full_every_s`, a round copies only the instruments asked for so far, and all of them only
    that often: a full copy scans the keyspace and reads each instrument (34 round trips for
    30 instruments), a bot asked about one or two. Without market data the reference mids apply.
    """

    def __init__(
        self,
        reference: Mapping[str, Decimal],
        store: ReadModelStore | None = None,
        interval_s: float = 0.25,
        idle_interval_s: float | None = None,
        full_every_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reference = dict(reference)
        self._live: dict[str, Decimal] = {}
        self._store = store
        self._interval_s = interval_s
        self._idle_interval_s = idle_interval_s or interval_s
        self._clock = clock
        self._asked_at = clock()
        self._full_every_s = full_every_s
        self._full_at: float | None = None
        self._asked: set[str] = set()

    def __call__(self, instrument_id: str) -> Decimal | None:
        self._asked_at = self._clock()
        self._asked.add(instrument_id)  # bounded by the instruments the RFQs name
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
            self._apply_tick(instrument_id, stored.value)
        return len(self._live)

    async def refresh_asked(self) -> int:
        """Copy the mids of the instruments asked for so far; returns how many were found."""
        if self._store is None:
            return 0
        found = 0
        for instrument_id in list(self._asked):
            stored = await self._store.get(SNAPSHOT_MODEL, instrument_id)
            if stored is not None:
                self._apply_tick(instrument_id, stored.value)
                found += 1
        return found

    def _apply_tick(self, instrument_id: str, value: bytes) -> None:
        with contextlib.suppress(InvalidOperation):
            self._live[instrument_id] = Decimal(MarketTickReceived.FromString(value).mid)

    async def refresh_round(self) -> None:
        """A full copy when due (always without `full_every_s`), else the asked instruments."""
        now, every, last = self._clock(), self._full_every_s, self._full_at
        if every is None or last is None or now - last >= every:
            self._full_at = now
            await self.refresh()
        else:
            await self.refresh_asked()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.refresh_round()
            except Exception as exc:
                # Stale mids beat no quotes; the next round tries again.
                log.warning("mid refresh failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.next_interval())

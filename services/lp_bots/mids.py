"""Mid prices for pricing and last look: the market-data snapshot model, else reference mids."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from eventbus.readmodel import ReadModelStore
from orion.marketdata.v1.events_pb2 import MarketTickReceived

log = logging.getLogger(__name__)
SNAPSHOT_MODEL = "md-snapshot"


class MidBoard:
    """A synchronous `mid(instrument)` over a cache refreshed in the background.

    Pricing sits on the hot path, so it reads memory; the refresher copies the market-data
    snapshot read model every `interval_s`. Without market data the reference mids apply.
    """

    def __init__(
        self,
        reference: Mapping[str, Decimal],
        store: ReadModelStore | None = None,
        interval_s: float = 0.25,
    ) -> None:
        self._reference = dict(reference)
        self._live: dict[str, Decimal] = {}
        self._store = store
        self._interval_s = interval_s

    def __call__(self, instrument_id: str) -> Decimal | None:
        return self._live.get(instrument_id) or self._reference.get(instrument_id)

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
                await asyncio.wait_for(stop.wait(), timeout=self._interval_s)

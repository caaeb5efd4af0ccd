"""The ingestion loop: feed -> normaliser -> publisher, plus the staleness heartbeat."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from services.marketdata import metrics
from services.marketdata.connectors import FeedConnector
from services.marketdata.domain.clock import Clock
from services.marketdata.domain.normaliser import Normaliser
from services.marketdata.domain.staleness import StalenessDetector, StaleState, StaleTransition
from services.marketdata.domain.tick import CanonicalTick


class TickSink(Protocol):
    async def publish_tick(self, tick: CanonicalTick) -> None: ...

    async def publish_transition(self, transition: StaleTransition, threshold_ns: int) -> None: ...


class Ingest:
    """Runs one feed until it ends (or `stop`), publishing every accepted tick immediately."""

    def __init__(
        self,
        feed: FeedConnector,
        normaliser: Normaliser,
        detector: StalenessDetector,
        sink: TickSink,
        clock: Clock,
        heartbeat_ns: int = 500_000_000,
    ) -> None:
        self.feed = feed
        self.normaliser = normaliser
        self.detector = detector
        self._sink = sink
        self._clock = clock
        self._heartbeat_ns = heartbeat_ns
        self.received = 0

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        heartbeat = asyncio.create_task(self._heartbeat(stop), name="md-heartbeat")
        try:
            async for raw in self.feed.quotes():
                await self.on_raw(raw)
                if stop.is_set():
                    break
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            await self.feed.close()

    async def on_raw(self, raw: object) -> CanonicalTick | None:
        """Normalise and publish one raw quote; a bad quote is counted, never raised."""
        self.received += 1
        metrics.TICKS_IN.labels(source=self.feed.name).inc()
        now = self._clock.now_ns()
        tick = self.normaliser.normalise(raw, now)
        if tick is None:
            metrics.TICKS_DROPPED.labels(reason=self.normaliser.last_drop_reason).inc()
            return None
        if tick.late:
            metrics.TICKS_LATE.inc()
        recovered = self.detector.on_tick(tick.instrument_id, now)
        await self._sink.publish_tick(tick)
        if recovered is not None:
            await self._publish_transition(recovered)
        return tick

    async def check_staleness(self) -> list[StaleTransition]:
        transitions = self.detector.heartbeat(self._clock.now_ns())
        for transition in transitions:
            await self._publish_transition(transition)
        return transitions

    async def _publish_transition(self, transition: StaleTransition) -> None:
        delta = 1 if transition.state is StaleState.STALE else -1
        metrics.STALE_INSTRUMENTS.inc(delta)
        await self._sink.publish_transition(transition, self.detector.threshold_ns)

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self._clock.sleep_until(self._clock.now_ns() + self._heartbeat_ns)
            await self.check_staleness()

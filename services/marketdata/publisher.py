"""Publishes ticks and feed-status events to the bus: batched, ordered, no DB write first."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import uuid_utils
from google.protobuf.message import Message

from eventbus.bus import EventBus, OutgoingRecord
from eventbus.envelope import encode_event
from services.marketdata import metrics
from services.marketdata.domain.staleness import StaleTransition
from services.marketdata.domain.tick import CanonicalTick
from services.marketdata.events import MARKETDATA_TENANT, tick_to_proto, transition_to_proto

log = logging.getLogger(__name__)


class BusPublisher:
    """One flusher task drains a bounded queue with `publish_batch`, so per-key order holds and
    a slow broker pushes back on ingestion instead of growing memory without bound."""

    def __init__(
        self,
        bus: EventBus,
        env: str,
        *,
        max_queue: int = 20_000,
        max_batch: int = 500,
        correlation_id: str | None = None,
    ) -> None:
        self._bus = bus
        self._env = env
        self._queue: asyncio.Queue[OutgoingRecord] = asyncio.Queue(max_queue)
        self._max_batch = max_batch
        self._correlation = correlation_id or f"md-ingest-{uuid_utils.uuid7()}"
        self._task: asyncio.Task[None] | None = None
        self._status_seq: dict[str, int] = {}
        self.published = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._flush_forever(), name="md-publisher")

    async def stop(self) -> None:
        """Flush what is queued, then stop the flusher."""
        await self._queue.join()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def publish_tick(self, tick: CanonicalTick) -> None:
        await self._enqueue(tick_to_proto(tick), tick.sequence)

    async def publish_transition(self, transition: StaleTransition, threshold_ns: int) -> None:
        iid = transition.instrument_id
        seq = self._status_seq.get(iid, 0) + 1
        self._status_seq[iid] = seq
        await self._enqueue(transition_to_proto(transition, threshold_ns), seq)

    async def _enqueue(self, payload: Message, sequence: int) -> None:
        _, record = encode_event(
            payload,
            env=self._env,
            sequence=sequence,
            tenant_id=MARKETDATA_TENANT,
            correlation_id=self._correlation,
        )
        await self._queue.put(record)
        metrics.PUBLISH_QUEUE.set(self._queue.qsize())

    async def _flush_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._publish(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _publish(self, batch: list[OutgoingRecord]) -> None:
        delay = 0.1
        while True:
            try:
                await self._bus.publish_batch(batch)
                self.published += len(batch)
                metrics.TICKS_PUBLISHED.inc(len(batch))
                return
            except Exception:
                # The broker is the only way out for ticks: retry rather than drop silently.
                log.warning("tick publish failed; retrying in %.1fs", delay, exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

"""Kafka offset commits at most every `every_s` for consumers whose effects are idempotent.

The RFQ process runs two consumers: the rfq-service group (its effects are claimed in
`processed_events`, so a redelivered event is a no-op) and the rm_rfq_blotter projector (writes
are guarded by entity sequence). ConsumerRunner commits after every poll batch; at a few RFQs a
second batches hold one or two events, so that was an OffsetCommit round trip to Kafka per
event or two. Here a commit is remembered and sent with the next one due (or at stop). Offsets
are still only committed after their effects: a crash or a rebalance redelivers at most
`every_s` of records, which the effects' idempotency turns into no-ops.

Belongs in eventbus (a commit interval on ConsumerSpec); it wraps the bus until then, as
services/event_filter.py does for event-type filtering.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence

from eventbus.bus import (
    ConsumedRecord,
    Consumer,
    ConsumerConfig,
    EventBus,
    OutgoingRecord,
    RecordMetadata,
    TopicPartition,
    TopicSpec,
)
from eventbus.errors import CommitFailed

log = logging.getLogger(__name__)
COMMIT_EVERY_S = 0.5


class LazyCommitConsumer:
    """Wraps a Consumer: `commit` merges offsets and sends them once `every_s` has passed."""

    def __init__(
        self,
        inner: Consumer,
        *,
        every_s: float = COMMIT_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner, self._every_s, self._clock = inner, every_s, clock
        self._pending: dict[TopicPartition, int] = {}
        self._sent_at = clock()
        self.sent = 0

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        for tp, offset in offsets.items():
            self._pending[tp] = max(self._pending.get(tp, 0), offset)
        if self._clock() - self._sent_at >= self._every_s:
            await self.flush()

    async def flush(self) -> None:
        """Send what is pending now (raises CommitFailed after a rebalance, like a commit)."""
        pending, self._pending = self._pending, {}
        self._sent_at = self._clock()
        if pending:
            self.sent += 1
            await self._inner.commit(pending)

    async def poll(self, timeout_ms: int = 1000) -> list[ConsumedRecord]:
        records = await self._inner.poll(timeout_ms=timeout_ms)
        if not records and self._pending and self._clock() - self._sent_at >= self._every_s:
            await self._flush_quietly()  # a quiet stream still gets its last offsets committed
        return records

    async def _flush_quietly(self) -> None:
        try:
            await self.flush()
        except CommitFailed:
            # Partitions moved: their new owner redelivers those records, harmlessly.
            log.debug("lazy offset commit refused after a rebalance")

    async def start(self) -> None:
        await self._inner.start()

    async def stop(self) -> None:
        """Commit what was applied, then leave the group."""
        await self._flush_quietly()
        await self._inner.stop()

    def assignment(self) -> set[TopicPartition]:
        return self._inner.assignment()

    async def seek_to_beginning(self) -> None:
        self._pending.clear()  # a replay re-reads them: a stale commit must not skip ahead
        await self._inner.seek_to_beginning()

    async def committed(self, tp: TopicPartition) -> int | None:
        return await self._inner.committed(tp)

    async def end_offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return await self._inner.end_offsets(tps)


class LazyCommitBus:
    """An EventBus whose consumers commit lazily; everything else goes to `inner`."""

    def __init__(self, inner: EventBus, every_s: float = COMMIT_EVERY_S) -> None:
        self.inner, self.every_s = inner, every_s

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None:
        await self.inner.ensure_topics(specs)

    async def publish(self, record: OutgoingRecord) -> RecordMetadata:
        return await self.inner.publish(record)

    async def publish_batch(self, records: Sequence[OutgoingRecord]) -> list[RecordMetadata]:
        return await self.inner.publish_batch(records)

    def consumer(self, config: ConsumerConfig) -> LazyCommitConsumer:
        return LazyCommitConsumer(self.inner.consumer(config), every_s=self.every_s)

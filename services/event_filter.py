"""A consumer that hands on only the event types a service acts on, and commits the rest lazily.

Execution reads `rfq.lifecycle.v1` for QuoteAccepted, one event in ~10 of an RFQ's lifecycle;
the LP bots want three types of the lifecycle and trade topics. Without a filter every record
was decoded and, in execution, claimed in `processed_events` in a transaction of its own, and
every poll committed its offsets to Kafka: ~10 transactions and ~10 offset commits per RFQ for
one trade. The filter reads only the `event_type` header (no decode), and the offsets of the
records it drops are committed with the next commit of kept records, or at most once per
`flush_s` while only dropped records arrive. Dropping a record loses nothing: a record that is
redelivered after a crash is dropped again. A record without the header is handed on (its
consumer decodes it and dead-letters it if it is not an event).

Belongs in eventbus (an event-type filter on ConsumerSpec/ConsumerConfig); it lives here until
then, wrapping the bus so ConsumerRunner keeps its claim, retry and DLQ behaviour unchanged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence

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
from eventbus.envelope import H_EVENT_TYPE
from eventbus.errors import CommitFailed

log = logging.getLogger(__name__)
FLUSH_S = 1.0


class SelectiveConsumer:
    """Wraps a Consumer: `poll` returns only wanted records; dropped offsets ride along."""

    def __init__(
        self,
        inner: Consumer,
        wanted: Collection[str],
        *,
        flush_s: float = FLUSH_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner, self._wanted = inner, frozenset(wanted)
        self._flush_s, self._clock = flush_s, clock
        self._dropped: dict[TopicPartition, int] = {}
        # Highest offsets committed: a caller's own (throttled) commit of older kept records
        # after a flush of newer dropped ones must not move the group back.
        self._high: dict[TopicPartition, int] = {}
        self._flushed_at = clock()
        self.dropped = 0

    def wants(self, record: ConsumedRecord) -> bool:
        kind = record.header(H_EVENT_TYPE)
        return kind is None or kind in self._wanted

    async def poll(self, timeout_ms: int = 1000) -> list[ConsumedRecord]:
        records = await self._inner.poll(timeout_ms=timeout_ms)
        kept: list[ConsumedRecord] = []
        for record in records:
            if self.wants(record):
                kept.append(record)
                continue
            tp = record.topic_partition
            self._dropped[tp] = max(self._dropped.get(tp, 0), record.offset + 1)
            self.dropped += 1
        if not kept and self._dropped and self._clock() - self._flushed_at >= self._flush_s:
            await self._flush()
        return kept

    async def _flush(self) -> None:
        try:
            await self.commit({})
        except CommitFailed:
            # Partitions moved in a rebalance: their new owner reads (and drops) them again.
            log.debug("commit of dropped records' offsets refused after a rebalance")

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Kept records' offsets plus the dropped ones read before them. Records are handed
        on in poll order and committed after their effects, so every dropped offset pending
        here is older than the next poll: committing it skips nothing unprocessed."""
        merged = dict(self._dropped)
        for tp, offset in offsets.items():
            merged[tp] = max(merged.get(tp, 0), offset)
        self._dropped.clear()
        self._flushed_at = self._clock()
        ahead = {tp: off for tp, off in merged.items() if off > self._high.get(tp, -1)}
        if ahead:
            await self._inner.commit(ahead)
            self._high |= ahead

    async def start(self) -> None:
        await self._inner.start()

    async def stop(self) -> None:
        await self._inner.stop()

    def assignment(self) -> set[TopicPartition]:
        return self._inner.assignment()

    async def seek_to_beginning(self) -> None:
        self._dropped.clear()  # a replay re-reads them; a stale commit must not skip ahead
        self._high.clear()  # and commits start again from the beginning
        await self._inner.seek_to_beginning()

    async def committed(self, tp: TopicPartition) -> int | None:
        return await self._inner.committed(tp)

    async def end_offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return await self._inner.end_offsets(tps)


class SelectiveBus:
    """An EventBus whose consumers are SelectiveConsumers; everything else goes to `inner`."""

    def __init__(self, inner: EventBus, wanted: Collection[str]) -> None:
        self.inner, self.wanted = inner, frozenset(wanted)

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

    def consumer(self, config: ConsumerConfig) -> SelectiveConsumer:
        return SelectiveConsumer(self.inner.consumer(config), self.wanted)

"""Prometheus counters of the event backbone and the consumer-lag gauge per partition."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import Counter, Gauge

from eventbus.bus import ConsumedRecord, Consumer, RecordMetadata, TopicPartition

# Both bus backends record published and consumed themselves; the consumer runner records
# retries and dead letters, since only it knows about them.
PUBLISHED = Counter("orion_events_published", "Records durably appended to the log", ["topic"])
CONSUMED = Counter(
    "orion_events_consumed", "Records handed to a consumer group", ["topic", "consumer_group"]
)
RETRIED = Counter(
    "orion_events_retried",
    "Processing attempts retried after a transient error",
    ["topic", "consumer_group"],
)
DEAD_LETTERED = Counter(
    "orion_events_dead_lettered",
    "Records sent to a dead-letter topic",
    ["topic", "consumer_group"],
)
CONSUMER_LAG = Gauge(
    "orion_consumer_lag",
    "Log end offset minus committed offset",
    ["topic", "consumer_group", "partition"],
)


def record_published(metadata: Iterable[RecordMetadata]) -> None:
    for topic, count in Tally(m.topic for m in metadata).items():
        PUBLISHED.labels(topic=topic).inc(count)


def record_consumed(group: str, records: Iterable[ConsumedRecord]) -> None:
    for topic, count in Tally(r.topic for r in records).items():
        CONSUMED.labels(topic=topic, consumer_group=group).inc(count)


def record_retried(topic: str, group: str, count: int = 1) -> None:
    RETRIED.labels(topic=topic, consumer_group=group).inc(count)


def record_dead_lettered(topic: str, group: str, count: int = 1) -> None:
    DEAD_LETTERED.labels(topic=topic, consumer_group=group).inc(count)


async def measure_lag(consumer: Consumer, group: str) -> dict[TopicPartition, int]:
    """Lag of every assigned partition (end offset - committed, 0 committed if none); sets gauge."""
    tps = sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))
    if not tps:
        return {}
    ends = await consumer.end_offsets(tps)
    lags: dict[TopicPartition, int] = {}
    for tp in tps:
        committed = await consumer.committed(tp) or 0
        lags[tp] = max(0, ends.get(tp, 0) - committed)
        CONSUMER_LAG.labels(topic=tp.topic, consumer_group=group, partition=str(tp.partition)).set(
            lags[tp]
        )
    return lags

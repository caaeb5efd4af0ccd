"""SelectiveConsumer on the embedded log: only wanted event types come out, none is lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from eventbus.bus import ConsumerConfig, OutgoingRecord, TopicPartition, TopicSpec
from eventbus.embedded.bus import EmbeddedBus
from services.event_filter import SelectiveBus, SelectiveConsumer

TOPIC = "test.lifecycle.v1"
TP = TopicPartition(TOPIC, 0)


def _record(kind: str | None, n: int) -> OutgoingRecord:
    headers = () if kind is None else (("event_type", kind.encode()),)
    return OutgoingRecord(TOPIC, b"rfq-1", f"{kind}-{n}".encode(), headers)


@pytest.fixture
async def bus(tmp_path: Path) -> AsyncIterator[EmbeddedBus]:
    log = EmbeddedBus(tmp_path / "log.db")
    await log.start()
    await log.ensure_topics([TopicSpec(TOPIC, partitions=1)])
    yield log
    await log.stop()


async def _poll_all(consumer: SelectiveConsumer) -> list[bytes]:
    values: list[bytes] = []
    while batch := await consumer.poll(timeout_ms=100):
        values += [r.value for r in batch]
    return values


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_only_wanted_types_and_headerless_records_are_handed_on(bus: EmbeddedBus) -> None:
    kinds = ["RfqCreated", "QuoteAccepted", "QuoteReceived", None, "QuoteAccepted"]
    await bus.publish_batch([_record(k, n) for n, k in enumerate(kinds)])
    selective = SelectiveBus(bus, {"QuoteAccepted"})
    consumer = selective.consumer(ConsumerConfig("g1", [TOPIC]))
    await consumer.start()
    try:
        values = await _poll_all(consumer)
    finally:
        await consumer.stop()
    assert values == [b"QuoteAccepted-1", b"None-3", b"QuoteAccepted-4"]
    assert consumer.dropped == 2


async def test_dropped_offsets_are_committed_with_the_next_kept_commit(bus: EmbeddedBus) -> None:
    await bus.publish_batch([_record("QuoteAccepted", 0), _record("RfqTraded", 1)])
    consumer = SelectiveConsumer(bus.consumer(ConsumerConfig("g2", [TOPIC])), {"QuoteAccepted"})
    await consumer.start()
    try:
        kept = await consumer.poll(timeout_ms=500)
        assert [r.offset for r in kept] == [0]
        await consumer.commit({TP: 1})  # what the runner commits: after its last kept record
        assert await consumer.committed(TP) == 2  # the trailing dropped record rode along
    finally:
        await consumer.stop()


async def test_only_dropped_records_are_committed_at_most_once_per_flush_period(
    bus: EmbeddedBus,
) -> None:
    clock = Clock()
    inner = bus.consumer(ConsumerConfig("g3", [TOPIC]))
    consumer = SelectiveConsumer(inner, {"QuoteAccepted"}, flush_s=1.0, clock=clock)
    await consumer.start()
    try:
        await bus.publish(_record("RfqCreated", 0))
        assert await _poll_all(consumer) == []
        assert await consumer.committed(TP) is None  # within the period: nothing sent yet
        clock.now = 1.5
        await bus.publish(_record("RfqSent", 1))
        assert await _poll_all(consumer) == []
        assert await consumer.committed(TP) == 2
    finally:
        await consumer.stop()


async def test_a_restarted_group_resumes_after_the_dropped_records(bus: EmbeddedBus) -> None:
    await bus.publish_batch([_record("RfqCreated", 0), _record("QuoteAccepted", 1)])
    await bus.publish_batch([_record("RfqTraded", 2)])
    first = SelectiveConsumer(bus.consumer(ConsumerConfig("g4", [TOPIC])), {"QuoteAccepted"})
    await first.start()
    kept = [r for _ in range(3) for r in await first.poll(timeout_ms=200)]
    await first.commit({TP: kept[-1].offset + 1})
    await first.stop()
    await bus.publish(_record("QuoteAccepted", 3))
    again = SelectiveConsumer(bus.consumer(ConsumerConfig("g4", [TOPIC])), {"QuoteAccepted"})
    await again.start()
    try:
        assert await _poll_all(again) == [b"QuoteAccepted-3"]
    finally:
        await again.stop()


async def test_an_older_commit_after_a_flush_does_not_move_the_group_back(
    bus: EmbeddedBus,
) -> None:
    clock = Clock()
    inner = bus.consumer(ConsumerConfig("g5", [TOPIC]))
    consumer = SelectiveConsumer(inner, {"QuoteAccepted"}, flush_s=1.0, clock=clock)
    await consumer.start()
    try:
        await bus.publish(_record("QuoteAccepted", 0))
        assert [r.offset for r in await consumer.poll(timeout_ms=500)] == [0]
        clock.now = 2.0
        await bus.publish(_record("RfqTraded", 1))
        assert await _poll_all(consumer) == []  # flushed: the group is at 2
        await consumer.commit({TP: 1})  # a throttled commit of the kept record, late
        assert await consumer.committed(TP) == 2
    finally:
        await consumer.stop()

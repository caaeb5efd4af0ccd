"""Embedded-log specifics beyond the shared conformance suite: wake-ups, rebalance, processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.settings import REPO_ROOT, Profile, Settings
from eventbus.bus import (
    ConsumedRecord,
    ConsumerConfig,
    OutgoingRecord,
    TopicPartition,
    TopicSpec,
)
from eventbus.embedded import EmbeddedBus, partition_for
from eventbus.errors import BusUnavailable, CommitFailed, UnknownTopic
from eventbus.factory import create_bus
from eventbus.kafka import KafkaBus

TOPIC = "unit.embedded.log.v1"

_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from eventbus.bus import OutgoingRecord
    from eventbus.embedded import EmbeddedBus

    async def main() -> None:
        bus = EmbeddedBus(Path(sys.argv[1]))
        await bus.start()
        for i in range(int(sys.argv[2])):
            await bus.publish(OutgoingRecord(sys.argv[3], b"same-key", sys.argv[4].encode()))
        await bus.stop()

    asyncio.run(main())
    """
)


async def _bus(path: Path, partitions: int = 4) -> EmbeddedBus:
    bus = EmbeddedBus(path, poll_interval_s=0.05)
    await bus.start()
    await bus.ensure_topics([TopicSpec(TOPIC, partitions)])
    return bus


async def test_a_waiting_poll_wakes_up_on_publish_not_at_timeout(tmp_path: Path) -> None:
    bus = await _bus(tmp_path / "log.db")
    bus.poll_interval_s = 10.0  # no fallback re-read: only the in-process wake-up can help
    consumer = bus.consumer(ConsumerConfig("g", [TOPIC]))
    await consumer.start()
    waiting = asyncio.create_task(consumer.poll(8000))
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    await bus.publish(OutgoingRecord(TOPIC, b"k", b"v"))
    records = await asyncio.wait_for(waiting, 5)
    assert [r.value for r in records] == [b"v"]
    assert time.perf_counter() - started < 1.0
    await consumer.stop()
    await bus.stop()


async def test_remaining_member_takes_over_when_another_leaves(tmp_path: Path) -> None:
    bus = await _bus(tmp_path / "log.db")
    first, second = (bus.consumer(ConsumerConfig("g", [TOPIC])) for _ in range(2))
    await first.start()
    await second.start()
    assert len(first.assignment()) == len(second.assignment()) == 2
    await second.stop()
    assert first.assignment() == {TopicPartition(TOPIC, p) for p in range(4)}
    third = bus.consumer(ConsumerConfig("g", [TOPIC]))
    await third.start()
    taken = third.assignment() - first.assignment()
    assert taken
    with pytest.raises(CommitFailed):
        await first.commit({next(iter(taken)): 1})
    owned = next(iter(first.assignment()))
    await first.commit({owned: 0})
    assert await first.committed(owned) == 0
    await first.stop()
    await third.stop()
    await bus.stop()


async def test_unknown_topic_and_stopped_bus_are_typed_errors(tmp_path: Path) -> None:
    bus = await _bus(tmp_path / "log.db")
    with pytest.raises(UnknownTopic):
        await bus.publish(OutgoingRecord("no.such.topic.v1", b"k", b"v"))
    await bus.stop()
    with pytest.raises(BusUnavailable):
        await bus.publish(OutgoingRecord(TOPIC, b"k", b"v"))


async def test_two_processes_append_without_offset_clashes_and_consumers_see_both(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.db"
    bus = await _bus(path, partitions=1)
    consumer = bus.consumer(ConsumerConfig("g", [TOPIC]))
    await consumer.start()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), "200", TOPIC, name],
            cwd=REPO_ROOT,
            env={"PYTHONPATH": f"{REPO_ROOT}:{REPO_ROOT / 'gen' / 'python'}"},
        )
        for name in ("a", "b")
    ]
    try:
        local = [await bus.publish(OutgoingRecord(TOPIC, b"same-key", b"c")) for _ in range(50)]
        got: list[ConsumedRecord] = []
        deadline = time.perf_counter() + 60
        while len(got) < 450 and time.perf_counter() < deadline:
            got += await consumer.poll(200)
    finally:
        assert [w.wait(timeout=60) for w in writers] == [0, 0]
    assert [r.offset for r in got] == list(range(450))
    assert sorted(r.value for r in got) == [b"a"] * 200 + [b"b"] * 200 + [b"c"] * 50
    assert len({m.offset for m in local}) == 50
    await consumer.stop()
    await bus.stop()


def test_factory_picks_the_backend_from_the_profile(tmp_path: Path) -> None:
    embedded = create_bus(Settings(profile=Profile.EMBEDDED, home=tmp_path))
    assert isinstance(embedded, EmbeddedBus)
    assert embedded.path == tmp_path / "data" / "eventlog.db"
    real = create_bus(Settings(profile=Profile.REAL, kafka_bootstrap="127.0.0.1:19092"))
    assert isinstance(real, KafkaBus)
    assert real.bootstrap == "127.0.0.1:19092"


async def test_kafka_bus_reports_an_unreachable_broker_as_bus_unavailable() -> None:
    bus = KafkaBus("127.0.0.1:9", request_timeout_ms=2000)  # discard port: nothing listens
    with pytest.raises(BusUnavailable, match="unreachable"):
        await bus.start()


async def test_two_bus_instances_on_one_file_share_groups_and_wake_ups(tmp_path: Path) -> None:
    # `orion dev` runs several services in one process, each may create its own bus.
    one, two = await _bus(tmp_path / "log.db"), await _bus(tmp_path / "log.db")
    two.poll_interval_s = 10.0
    first = one.consumer(ConsumerConfig("shared", [TOPIC]))
    second = two.consumer(ConsumerConfig("shared", [TOPIC]))
    await first.start()
    await second.start()
    assert len(first.assignment() | second.assignment()) == 4
    assert not first.assignment() & second.assignment()
    target = next(iter(second.assignment()))
    key = next(
        k for k in (b"k%d" % i for i in range(100)) if partition_for(k, 4) == target.partition
    )
    waiting = asyncio.create_task(second.poll(8000))
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    await one.publish(OutgoingRecord(TOPIC, key, b"v"))
    assert [r.value for r in await asyncio.wait_for(waiting, 5)] == [b"v"]
    assert time.perf_counter() - started < 1.0
    for c in (first, second):
        await c.stop()
    await one.stop()
    await two.stop()


async def test_latest_start_skips_history_and_polls_respect_max_batch(tmp_path: Path) -> None:
    bus = await _bus(tmp_path / "log.db", partitions=1)
    await bus.publish_batch([OutgoingRecord(TOPIC, b"k", b"old")] * 10)
    latest = bus.consumer(ConsumerConfig("late", [TOPIC], start_from="latest", max_batch=3))
    await latest.start()
    await bus.publish_batch([OutgoingRecord(TOPIC, b"k", b"new%d" % i) for i in range(5)])
    first = await latest.poll(1000)
    second = await latest.poll(1000)
    assert [r.value for r in first + second] == [b"new0", b"new1", b"new2", b"new3", b"new4"]
    assert len(first) == 3
    await latest.stop()
    await bus.stop()

"""One conformance suite for both EventBus backends: the embedded SQLite log and real Kafka.

The Kafka parameter uses the project's broker (ORION_KAFKA_BOOTSTRAP or 127.0.0.1:19092); when it
is unreachable those tests FAIL, they are never skipped.
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest

from core.settings import REPO_ROOT
from eventbus.bus import (
    ConsumedRecord,
    Consumer,
    ConsumerConfig,
    EventBus,
    OutgoingRecord,
    TopicPartition,
    TopicSpec,
)
from eventbus.embedded import EmbeddedBus, partition_for
from eventbus.envelope import build_envelope, decode, headers_of
from eventbus.kafka import KafkaBus
from eventbus.known_events import load_all
from orion.ops.v1.probe_pb2 import ProbeEmitted

pytestmark = pytest.mark.timeout(120)
KAFKA = os.environ.get("ORION_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
PARTITIONS = 4
BusFactory = Callable[[], EventBus]


class Buses:
    """Creates (and finally stops) buses on one log, so a test can 'restart the process'."""

    def __init__(self, make: BusFactory) -> None:
        self._make = make
        self._started: list[EventBus] = []

    async def new(self) -> EventBus:
        bus = self._make()
        await bus.start()
        self._started.append(bus)
        return bus

    async def close(self) -> None:
        for bus in reversed(self._started):
            await bus.stop()


@pytest.fixture(params=["embedded", "kafka"])
async def buses(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Buses]:
    if request.param == "embedded":
        made = Buses(lambda: EmbeddedBus(tmp_path / "eventlog.db", poll_interval_s=0.05))
    else:
        made = Buses(lambda: KafkaBus(KAFKA, client_id="conformance"))
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
def topic() -> str:
    return f"test.conformance.t{uuid.uuid4().hex[:12]}.v1"


@pytest.fixture
def group() -> str:
    return f"conformance-{uuid.uuid4().hex[:12]}"


async def _ready(buses: Buses, topic: str) -> EventBus:
    bus = await buses.new()
    await bus.ensure_topics([TopicSpec(topic, PARTITIONS, 3_600_000)])
    return bus


def _records(topic: str, count: int, keys: int = 5) -> list[OutgoingRecord]:
    return [
        OutgoingRecord(topic, f"key-{i % keys}".encode(), f"{i}".encode(), (("n", b"%d" % i),))
        for i in range(count)
    ]


async def _collect(
    consumers: Sequence[Consumer], count: int, timeout_s: float = 30.0
) -> list[list[ConsumedRecord]]:
    """Poll all consumers concurrently until `count` records arrived in total (or time out)."""
    got: list[list[ConsumedRecord]] = [[] for _ in consumers]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while sum(map(len, got)) < count and loop.time() < deadline:
        batches = await asyncio.gather(*(c.poll(200) for c in consumers))
        for bucket, batch in zip(got, batches, strict=True):
            bucket.extend(batch)
    return got


async def _until_split(consumers: Sequence[Consumer], partitions: int) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        owned = [c.assignment() for c in consumers]
        if all(owned) and sum(map(len, owned)) == partitions:
            return
        assert not any(await asyncio.gather(*(c.poll(100) for c in consumers)))
    raise AssertionError(f"group never split {partitions} partitions: {owned}")


async def _started(bus: EventBus, group: str, topic: str) -> Consumer:
    consumer = bus.consumer(ConsumerConfig(group_id=group, topics=[topic], session_timeout_ms=6000))
    await consumer.start()
    return consumer


async def test_records_with_one_key_keep_publish_order_on_one_partition(
    buses: Buses, topic: str, group: str
) -> None:
    bus = await _ready(buses, topic)
    records = _records(topic, 200)
    metas = await bus.publish_batch(records[:150])
    metas += [await bus.publish(r) for r in records[150:]]
    for rec, meta in zip(records, metas, strict=True):
        # Same murmur2 partitioner on both backends: a key lands on the same partition.
        assert meta.partition == partition_for(rec.key, PARTITIONS)
    consumer = await _started(bus, group, topic)
    (got,) = await _collect([consumer], 200)
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for consumed in got:
        by_key[consumed.key].append(int(consumed.value))
        assert consumed.header("n") == consumed.value.decode()
    assert len(got) == 200
    for key, values in by_key.items():
        assert values == [i for i in range(200) if f"key-{i % 5}".encode() == key]


async def test_members_of_a_group_split_the_partitions(
    buses: Buses, topic: str, group: str
) -> None:
    bus = await _ready(buses, topic)
    first, second = await _started(bus, group, topic), await _started(bus, group, topic)
    # Publish only once the group is stable, so no record is read before the rebalance.
    await _until_split([first, second], PARTITIONS)
    await bus.publish_batch(_records(topic, 100, keys=40))
    got = await _collect([first, second], 100)
    a, b = first.assignment(), second.assignment()
    assert a
    assert b
    assert not a & b
    assert a | b == {TopicPartition(topic, p) for p in range(PARTITIONS)}
    assert sorted(int(r.value) for bucket in got for r in bucket) == list(range(100))
    for bucket, owned in ((got[0], a), (got[1], b)):
        assert {r.topic_partition for r in bucket} <= owned


async def test_group_resumes_from_committed_offsets_after_restart(
    buses: Buses, topic: str, group: str
) -> None:
    bus = await _ready(buses, topic)
    await bus.publish_batch([OutgoingRecord(topic, b"one-key", b"%d" % i) for i in range(10)])
    consumer = await _started(bus, group, topic)
    (got,) = await _collect([consumer], 10)
    fifth = got[4]
    await consumer.commit({fifth.topic_partition: fifth.offset + 1})
    assert await consumer.committed(fifth.topic_partition) == fifth.offset + 1
    await consumer.stop()
    await bus.stop()

    restarted = await buses.new()
    resumed = await _started(restarted, group, topic)
    (again,) = await _collect([resumed], 5)
    assert [int(r.value) for r in again] == [5, 6, 7, 8, 9]


async def test_uncommitted_records_are_delivered_again_after_a_crash(
    buses: Buses, topic: str, group: str
) -> None:
    bus = await _ready(buses, topic)
    await bus.publish_batch([OutgoingRecord(topic, b"k", b"%d" % i) for i in range(6)])
    crashed = await _started(bus, group, topic)
    (got,) = await _collect([crashed], 6)
    await crashed.commit({got[1].topic_partition: got[1].offset + 1})
    await crashed.stop()  # stopped without committing records 2..5: their effects never happened

    successor = await _started(bus, group, topic)
    (again,) = await _collect([successor], 4)
    assert [int(r.value) for r in again] == [2, 3, 4, 5]


async def test_a_consumer_can_replay_the_log_from_the_start(
    buses: Buses, topic: str, group: str
) -> None:
    bus = await _ready(buses, topic)
    await bus.publish_batch(_records(topic, 30))
    consumer = await _started(bus, group, topic)
    (got,) = await _collect([consumer], 30)
    await consumer.commit({r.topic_partition: r.offset + 1 for r in got})
    await consumer.stop()

    replayer = await _started(bus, group, topic)
    await replayer.seek_to_beginning()
    (replayed,) = await _collect([replayer], 30)
    assert sorted(int(r.value) for r in replayed) == list(range(30))
    fresh = await _started(bus, f"{group}-fresh", topic)
    (from_zero,) = await _collect([fresh], 30)
    assert sorted(int(r.value) for r in from_zero) == list(range(30))
    assert min(r.offset for r in from_zero) == 0


async def test_end_offsets_and_committed_measure_lag(buses: Buses, topic: str, group: str) -> None:
    bus = await _ready(buses, topic)
    metas = await bus.publish_batch([OutgoingRecord(topic, b"lag", b"%d" % i) for i in range(7)])
    tp = TopicPartition(topic, metas[0].partition)
    consumer = await _started(bus, group, topic)
    await _collect([consumer], 7)
    assert await consumer.committed(tp) is None
    await consumer.commit({tp: 3})
    assert await consumer.end_offsets([tp]) == {tp: 7}
    assert await consumer.committed(tp) == 3


async def test_consumers_ignore_unknown_fields_of_newer_producers(
    buses: Buses, topic: str, group: str
) -> None:
    load_all()
    bus = await _ready(buses, topic)
    unknown = bytes([0x98, 0x06, 0x2A])  # field 99 = 42, unknown to this consumer's schema
    env = build_envelope(
        ProbeEmitted(probe_id="p-1", seq=1), sequence=1, tenant_id="t", correlation_id="c"
    )
    env.payload += unknown
    value = env.SerializeToString() + unknown
    await bus.publish(OutgoingRecord(topic, b"p-1", value, headers_of(env)))
    consumer = await _started(bus, group, topic)
    (got,) = await _collect([consumer], 1)
    decoded = decode(got[0])
    # Known fields intact; the unknown one is kept opaquely (protobuf) and never fails a parse.
    assert (decoded.payload.probe_id, decoded.payload.seq) == ("p-1", 1)
    assert decoded.envelope.event_id == env.event_id
    assert got[0].header("tenant_id") == "t"


async def test_ensure_topics_is_idempotent(buses: Buses, topic: str) -> None:
    bus = await _ready(buses, topic)
    await bus.ensure_topics([TopicSpec(topic, PARTITIONS, 3_600_000)])
    meta = await bus.publish(OutgoingRecord(topic, b"x", b"y"))
    assert meta.offset == 0


async def test_kafka_topics_are_created_with_declared_partitions_retention_and_cleanup() -> None:
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    name = f"test.conformance.c{uuid.uuid4().hex[:12]}.v1"
    bus = KafkaBus(KAFKA, client_id="conformance")
    await bus.start()
    try:
        await bus.ensure_topics([TopicSpec(name, 5, None, compacted=True)])
    finally:
        await bus.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        # Topic metadata reaches the broker's cache a moment after CreateTopics answers; on a
        # busy box a describe straight after it can list no partitions yet.
        deadline = time.monotonic() + 15
        while True:
            (described,) = await admin.describe_topics([name])
            if described["partitions"] or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    finally:
        await admin.close()
    assert len(described["partitions"]) == 5
    configs = {c[0]: c[1] for r in responses for res in r.resources for c in res[4]}
    assert (configs["cleanup.policy"], configs["retention.ms"]) == ("compact", "-1")


_CRASHING_CONSUMER = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from eventbus.bus import ConsumerConfig
    from eventbus.embedded import EmbeddedBus
    from eventbus.kafka import KafkaBus

    async def main() -> None:
        backend, where, topic, group = sys.argv[1:5]
        bus = EmbeddedBus(Path(where)) if backend == "embedded" else KafkaBus(where)
        await bus.start()
        consumer = bus.consumer(ConsumerConfig(group, [topic], session_timeout_ms=6000))
        await consumer.start()
        got = []
        deadline = time.monotonic() + 60
        while len(got) < 6 and time.monotonic() < deadline:
            got += await consumer.poll(200)
        await consumer.commit({got[1].topic_partition: got[1].offset + 1})
        print("committed", len(got), flush=True)
        await asyncio.sleep(3600)  # killed here, mid-work: no stop, no leave-group, no commit

    asyncio.run(main())
    """
)


async def test_records_uncommitted_by_a_killed_process_are_delivered_again(
    buses: Buses, topic: str, group: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    backend = request.node.callspec.params["buses"]
    where = str(tmp_path / "eventlog.db") if backend == "embedded" else KAFKA
    bus = await _ready(buses, topic)
    await bus.publish_batch([OutgoingRecord(topic, b"k", b"%d" % i) for i in range(6)])
    gen = REPO_ROOT / "gen" / "python"
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _CRASHING_CONSUMER,
        backend,
        where,
        topic,
        group,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": f"{REPO_ROOT}:{gen}"},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        assert line.decode().strip() == "committed 6"
    finally:
        child.kill()  # SIGKILL: the process gets no chance to clean up
        await child.wait()
    successor = await _started(bus, group, topic)
    (again,) = await _collect([successor], 4, timeout_s=60)
    assert [int(r.value) for r in again] == [2, 3, 4, 5]

"""Idempotent consumer runner on SQLite + the embedded log: once-only effects, retries, DLQ."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, String, func, insert
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import Database
from eventbus import ops_events  # noqa: F401  (registers ProbeEmitted)
from eventbus.bus import ConsumedRecord
from eventbus.consumer import ConsumerRunner, ConsumerSpec, ProcessedEvent
from eventbus.dlq import REPLAY_FOR_HEADER, read_dead_letters
from eventbus.embedded.bus import EmbeddedBus
from eventbus.envelope import DecodedEvent, encode_event
from eventbus.errors import DecodeError
from eventbus.readmodel import MemoryReadModelStore, ReadModelStore
from eventbus.retry import RetryPolicy
from eventbus.topics import dlq_spec
from orion.common.v1.envelope_pb2 import Envelope
from orion.ops.v1.probe_pb2 import ProbeEmitted

CONSUMER = "probe-counter"


class ProbeEffect(SQLModel, table=True):
    __tablename__ = "test_consumer_probe_effects"
    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    event_id: str = Field(sa_column=Column(String(64), nullable=False))


async def record_effect(envelope: Envelope, payload: Any, session: AsyncSession) -> None:
    session.add(ProbeEffect(event_id=envelope.event_id))


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}")
    await database.create_all()
    yield database
    await database.dispose()


@pytest.fixture
async def bus(tmp_path: Path) -> AsyncIterator[EmbeddedBus]:
    log = EmbeddedBus(tmp_path / "log.db")
    await log.start()
    await log.ensure_topics([dlq_spec(CONSUMER, "test")])
    yield log
    await log.stop()


def consumed(seq: int, offset: int | None = None, probe_id: str = "p-1") -> ConsumedRecord:
    _, out = encode_event(
        ProbeEmitted(probe_id=probe_id, seq=seq),
        env="test",
        sequence=seq,
        tenant_id="t-1",
        correlation_id="c-1",
    )
    return ConsumedRecord(
        out.topic, 0, seq if offset is None else offset, out.key, out.value, out.headers
    )


class SleepRecorder:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def runner(
    db: Database,
    bus: EmbeddedBus,
    handler: Any = record_effect,
    sleep: SleepRecorder | None = None,
    attempts: int = 4,
) -> ConsumerRunner:
    spec = ConsumerSpec(
        CONSUMER, ["test.ops.probes.v1"], handler=handler, retry=RetryPolicy(max_attempts=attempts)
    )
    return ConsumerRunner(spec, bus, env="test", db=db, sleep=sleep or SleepRecorder())


async def effects(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(ProbeEffect))).one())


async def test_redelivered_batches_apply_each_event_once(db: Database, bus: EmbeddedBus) -> None:
    records = [consumed(seq) for seq in range(1, 101)]
    consumer = runner(db, bus)
    await consumer.process_batch(records)
    await consumer.process_batch(records)
    await consumer.process_batch(records[:10] + records[:10])
    assert await effects(db) == 100
    assert consumer.applied == 100
    async with db.sessions() as session:
        rows = (await session.exec(select(func.count()).select_from(ProcessedEvent))).one()
    assert rows == 100


async def test_transient_failures_back_off_then_apply_once(db: Database, bus: EmbeddedBus) -> None:
    calls = {"n": 0}

    async def flaky(envelope: Envelope, payload: Any, session: AsyncSession) -> None:
        calls["n"] += 1
        if calls["n"] <= 3:  # fails in the batch try and the first two single tries
            raise ConnectionError("database restarting")
        await record_effect(envelope, payload, session)

    sleep = SleepRecorder()
    await runner(db, bus, flaky, sleep).process_batch([consumed(1)])
    assert await effects(db) == 1
    assert sleep.delays == [0.5, 1.0]
    assert await read_dead_letters(bus, CONSUMER, "test", idle_polls=1) == []


async def test_poison_record_is_dead_lettered_and_the_batch_moves_on(
    db: Database, bus: EmbeddedBus
) -> None:
    good = [consumed(seq) for seq in (1, 3)]
    bad = ConsumedRecord(
        "test.ops.probes.v1",
        0,
        2,
        b"p-1",
        b"\xff\x00not-an-envelope",
        (("event_type", b"ProbeEmitted"), ("tenant_id", b"t-1")),
    )
    sleep = SleepRecorder()
    await runner(db, bus, sleep=sleep).process_batch([good[0], bad, good[1]])
    assert await effects(db) == 2
    assert sleep.delays == []  # decode failures are never retried
    [letter] = await read_dead_letters(bus, CONSUMER, "test", idle_polls=2)
    assert letter.original.value == bad.value
    assert (letter.original.topic, letter.original.offset) == ("test.ops.probes.v1", 2)
    assert letter.original.key == b"p-1"
    assert [(h.name, h.value) for h in letter.original.headers] == list(bad.headers)
    assert letter.error_class == f"{DecodeError.__module__}.DecodeError"
    assert letter.consumer_name == CONSUMER
    assert letter.consumer_version == "1"
    assert letter.attempts == 1
    assert not letter.retryable
    assert letter.tenant_id == "t-1"
    assert letter.event_type == "ProbeEmitted"
    assert letter.first_failure_at.seconds > 0


async def test_exhausted_retries_dead_letter_with_the_attempt_count(
    db: Database, bus: EmbeddedBus
) -> None:
    async def broken(envelope: Envelope, payload: Any, session: AsyncSession) -> None:
        if payload.seq == 2:
            raise TimeoutError("downstream never answers")
        await record_effect(envelope, payload, session)

    sleep = SleepRecorder()
    await runner(db, bus, broken, sleep, attempts=4).process_batch(
        [consumed(1), consumed(2), consumed(3)]
    )
    assert await effects(db) == 2
    assert sleep.delays == [0.5, 1.0, 2.0]
    [letter] = await read_dead_letters(bus, CONSUMER, "test", idle_polls=2)
    assert letter.attempts == 4
    assert letter.retryable
    assert letter.error_class == "builtins.TimeoutError"
    assert "broken" in letter.stack_summary
    assert letter.last_failure_at.ToDatetime() >= letter.first_failure_at.ToDatetime()


async def test_replays_addressed_to_another_consumer_are_skipped(
    db: Database, bus: EmbeddedBus
) -> None:
    record = consumed(1)
    elsewhere = ConsumedRecord(
        record.topic,
        0,
        5,
        record.key,
        record.value,
        (*record.headers, (REPLAY_FOR_HEADER, b"other-consumer")),
    )
    mine = ConsumedRecord(
        record.topic,
        0,
        6,
        record.key,
        record.value,
        (*record.headers, (REPLAY_FOR_HEADER, CONSUMER.encode())),
    )
    consumer = runner(db, bus)
    await consumer.process_batch([elsewhere])
    assert await effects(db) == 0
    await consumer.process_batch([mine])
    assert await effects(db) == 1


async def test_projector_applies_only_newer_entity_sequences(bus: EmbeddedBus) -> None:
    store = MemoryReadModelStore()

    async def project(envelope: Envelope, payload: Any, rm: ReadModelStore) -> None:
        await rm.apply(
            "rm_probes", payload.probe_id, envelope.entity.sequence, str(payload.seq).encode()
        )

    spec = ConsumerSpec("probe-projector", ["test.ops.probes.v1"], projector=project)
    consumer = ConsumerRunner(spec, bus, env="test", store=store)
    await consumer.process_batch([consumed(1), consumed(3), consumed(2), consumed(3)])
    stored = await store.get("rm_probes", "p-1")
    assert stored is not None
    assert (stored.sequence, stored.value) == (3, b"3")


async def test_runner_consumes_from_the_log_and_commits_after_the_effect(
    db: Database, bus: EmbeddedBus
) -> None:
    import asyncio

    from eventbus.topics import TOPICS

    await bus.ensure_topics([TOPICS["ops.probes.v1"].spec("test")])
    for seq in range(1, 21):
        _, out = encode_event(
            ProbeEmitted(probe_id=f"p-{seq % 3}", seq=seq),
            env="test",
            sequence=seq,
            tenant_id="t-1",
            correlation_id="c-1",
        )
        await bus.publish(out)
    stop = asyncio.Event()
    consumer = runner(db, bus)
    task = asyncio.create_task(consumer.run(stop, poll_timeout_ms=100))
    for _ in range(100):
        if await effects(db) == 20:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task
    assert await effects(db) == 20
    again = runner(db, bus)  # same group: resumes after the committed offsets
    stop2 = asyncio.Event()
    task2 = asyncio.create_task(again.run(stop2, poll_timeout_ms=100))
    await asyncio.sleep(0.5)
    stop2.set()
    await task2
    assert again.applied == 0
    assert again.duplicates == 0


async def test_pruning_removes_only_processed_rows_older_than_the_window(
    db: Database, bus: EmbeddedBus
) -> None:
    from datetime import UTC, datetime, timedelta

    from eventbus.consumer import prune_processed

    old = datetime(2026, 1, 1, tzinfo=UTC)
    spec = ConsumerSpec(CONSUMER, ["test.ops.probes.v1"], handler=record_effect)
    await ConsumerRunner(spec, bus, env="test", db=db, clock=lambda: old).process_batch(
        [consumed(1), consumed(2)]
    )
    await runner(db, bus).process_batch([consumed(3)])
    removed = await prune_processed(db, timedelta(days=30))
    assert removed == 2
    async with db.sessions() as session:
        left = (await session.exec(select(ProcessedEvent.event_id))).all()
    assert len(left) == 1


class BatchRecorder:
    """A batch handler writing one effect row per event with one Core statement per call."""

    def __init__(self, fail_on_seq: int | None = None) -> None:
        self.calls: list[list[int]] = []
        self.fail_on_seq = fail_on_seq

    async def __call__(self, events: Sequence[DecodedEvent], session: AsyncSession) -> None:
        seqs = [e.payload.seq for e in events]
        self.calls.append(seqs)
        if self.fail_on_seq in seqs:
            raise DecodeError(f"probe {self.fail_on_seq} is invalid")  # not retryable
        conn = await session.connection()
        table = ProbeEffect.__table__  # type: ignore[attr-defined]
        await conn.execute(insert(table), [{"event_id": e.event_id} for e in events])


def batch_runner(db: Database, bus: EmbeddedBus, handler: BatchRecorder) -> ConsumerRunner:
    spec = ConsumerSpec(CONSUMER, ["test.ops.probes.v1"], batch_handler=handler)
    return ConsumerRunner(spec, bus, env="test", db=db, sleep=SleepRecorder())


async def test_batch_handler_gets_each_new_event_once_per_poll_batch(
    db: Database, bus: EmbeddedBus
) -> None:
    records = [consumed(seq) for seq in range(1, 101)]
    handler = BatchRecorder()
    consumer = batch_runner(db, bus, handler)
    decoded = await consumer.process_batch(records[:60] + records[:10])  # repeats in one batch
    await consumer.process_batch(records)  # the first 60 again, redelivered
    await consumer.process_batch(records)  # everything again
    assert [e.payload.seq for e in decoded] == list(range(1, 61)) + list(range(1, 11))
    assert handler.calls == [list(range(1, 61)), list(range(61, 101))]
    assert await effects(db) == 100
    assert (consumer.applied, consumer.duplicates) == (100, 170)


async def test_failing_batch_is_redone_event_by_event_and_poison_dead_lettered(
    db: Database, bus: EmbeddedBus
) -> None:
    handler = BatchRecorder(fail_on_seq=3)
    consumer = batch_runner(db, bus, handler)
    await consumer.process_batch([consumed(seq) for seq in range(1, 6)])
    assert handler.calls[0] == [1, 2, 3, 4, 5]  # the batch, rolled back as a whole
    assert handler.calls[1:] == [[1], [2], [3], [4], [5]]
    assert await effects(db) == 4
    assert consumer.dead_lettered == 1
    letters = await read_dead_letters(bus, CONSUMER, "test", idle_polls=1)
    assert [letter.error_class for letter in letters] == ["eventbus.errors.DecodeError"]


def test_a_consumer_spec_takes_exactly_one_kind_of_effect() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ConsumerSpec(CONSUMER, ["t"], handler=record_effect, batch_handler=BatchRecorder())
    with pytest.raises(ValueError, match="exactly one"):
        ConsumerSpec(CONSUMER, ["t"])


def test_a_postgres_batch_handler_needs_its_portable_batch_handler() -> None:
    async def pg_effect(events: Sequence[DecodedEvent], conn: Any) -> None:
        return None

    with pytest.raises(ValueError, match="pg_batch_handler comes with a batch_handler"):
        ConsumerSpec(CONSUMER, ["t"], handler=record_effect, pg_batch_handler=pg_effect)

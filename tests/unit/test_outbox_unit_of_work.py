"""Unit of work and relay on SQLite: state and events commit together; relay marks after ack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Column, String, func
from sqlmodel import Field, SQLModel, select

from core.db import Database
from eventbus import ops_events  # noqa: F401  (registers ProbeEmitted)
from eventbus.bus import ConsumerConfig, OutgoingRecord, RecordMetadata, TopicSpec
from eventbus.envelope import build_envelope
from eventbus.outbox import OutboxEvent, UnitOfWork, decode_headers
from eventbus.relay import OutboxRelay
from orion.common.v1.envelope_pb2 import Envelope
from orion.ops.v1.probe_pb2 import ProbeEmitted


class Widget(SQLModel, table=True):
    __tablename__ = "test_outbox_widgets"
    id: str = Field(sa_column=Column(String(40), primary_key=True))


class RecordingBus:
    """Keeps what was published; can refuse to publish to simulate a broker outage."""

    def __init__(self) -> None:
        self.records: list[OutgoingRecord] = []
        self.down = False

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None: ...

    async def publish(self, record: OutgoingRecord) -> RecordMetadata:
        return (await self.publish_batch([record]))[0]

    async def publish_batch(self, records: Sequence[OutgoingRecord]) -> list[RecordMetadata]:
        if self.down:
            raise ConnectionError("broker down")
        start = len(self.records)
        self.records.extend(records)
        return [RecordMetadata(r.topic, 0, start + i) for i, r in enumerate(records)]

    def consumer(self, config: ConsumerConfig) -> object:
        raise NotImplementedError


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'uow.db'}")
    await database.create_all()
    yield database
    await database.dispose()


def probe(seq: int, probe_id: str = "p-1") -> Envelope:
    return build_envelope(
        ProbeEmitted(probe_id=probe_id, seq=seq),
        sequence=seq,
        tenant_id="t-1",
        correlation_id="c-1",
    )


async def count(db: Database, model: type[SQLModel]) -> int:
    async with db.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_commit_writes_state_and_outbox_rows_together(db: Database) -> None:
    async with UnitOfWork(db, env="test") as uow:
        uow.session.add(Widget(id="w-1"))
        record = uow.add_event(probe(1))
        await uow.commit()
    assert await count(db, Widget) == 1
    async with db.sessions() as session:
        row = (await session.exec(select(OutboxEvent))).one()
    assert row.topic == "test.ops.probes.v1" == record.topic
    assert row.key == b"p-1"
    assert row.published_at is None
    assert row.created_at.tzinfo is not None
    assert dict(decode_headers(row.headers))["tenant_id"] == b"t-1"


async def test_exception_inside_the_block_rolls_back_state_and_events(db: Database) -> None:
    async def failing_command() -> None:
        async with UnitOfWork(db, env="test") as uow:
            uow.session.add(Widget(id="w-2"))
            uow.add_event(probe(1))
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError):
        await failing_command()
    assert await count(db, Widget) == 0
    assert await count(db, OutboxEvent) == 0


async def test_leaving_without_commit_discards_everything(db: Database) -> None:
    async with UnitOfWork(db, env="test") as uow:
        uow.session.add(Widget(id="w-3"))
        uow.add_event(probe(1))
    assert await count(db, Widget) == 0
    assert await count(db, OutboxEvent) == 0


async def test_relay_publishes_in_id_order_and_marks_rows(db: Database) -> None:
    for seq in range(1, 6):
        async with UnitOfWork(db, env="test") as uow:
            uow.add_event(probe(seq))
            await uow.commit()
    bus = RecordingBus()
    relay = OutboxRelay(db, bus, batch_size=2)  # type: ignore[arg-type]
    assert await relay.drain() == 5
    seqs = []
    for record in bus.records:
        seqs.append(Envelope.FromString(record.value).entity.sequence)
    assert seqs == [1, 2, 3, 4, 5]
    assert await relay.drain() == 0


@pytest.mark.parametrize("keep", [False, True, None])
async def test_relay_deletes_published_rows_unless_asked_to_keep_them(
    db: Database, keep: bool | None
) -> None:
    for seq in range(1, 4):
        async with UnitOfWork(db, env="test") as uow:
            uow.add_event(probe(seq))
            await uow.commit()
    relay = OutboxRelay(db, RecordingBus(), keep_published=keep)  # type: ignore[arg-type]
    assert await relay.drain() == 3
    async with db.sessions() as session:
        rows = (await session.exec(select(OutboxEvent))).all()
    # Deleted (the events live on in the log) or kept and stamped; SQLite keeps by default.
    assert len(rows) == (0 if keep is False else 3)
    assert all(row.published_at is not None for row in rows)


async def test_broker_failure_leaves_rows_unpublished_for_the_next_round(db: Database) -> None:
    async with UnitOfWork(db, env="test") as uow:
        uow.add_event(probe(1))
        await uow.commit()
    bus = RecordingBus()
    bus.down = True
    relay = OutboxRelay(db, bus)  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        await relay.publish_once()
    bus.down = False
    assert await relay.publish_once() == 1
    assert len(bus.records) == 1


async def test_crash_between_publish_and_mark_republishes_the_row(db: Database) -> None:
    async with UnitOfWork(db, env="test") as uow:
        uow.add_event(probe(1))
        await uow.commit()
    bus = RecordingBus()

    async def crash(_ids: Sequence[int]) -> None:
        raise SystemExit("relay killed after the ack, before the mark")

    with pytest.raises(SystemExit):
        await OutboxRelay(db, bus, after_publish=crash).publish_once()  # type: ignore[arg-type]
    assert await OutboxRelay(db, bus).publish_once() == 1  # type: ignore[arg-type]
    assert len(bus.records) == 2
    assert bus.records[0] == bus.records[1]


async def test_running_relay_wakes_on_a_local_commit_without_waiting_for_the_poll(
    db: Database,
) -> None:
    import asyncio
    import time

    bus = RecordingBus()
    relay = OutboxRelay(db, bus, poll_interval_s=30)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(0.2)  # idle, sleeping on the signal
    started = time.monotonic()
    async with UnitOfWork(db, env="test") as uow:
        uow.add_event(probe(1))
        await uow.commit()
    while not bus.records and time.monotonic() - started < 5:
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert len(bus.records) == 1
    assert time.monotonic() - started < 2

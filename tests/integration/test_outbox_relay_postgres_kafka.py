"""Outbox + relay on the real Postgres and Kafka: order per key, several relays, NOTIFY wake-up."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from core.db import Database
from eventbus.bus import ConsumerConfig
from eventbus.kafka import KafkaBus
from eventbus.outbox import OutboxEvent, UnitOfWork
from eventbus.relay import OutboxRelay
from eventbus.topics import topic_name
from load.eventbus.harness import PROBE_TOPIC, probe_bus, produce
from orion.common.v1.envelope_pb2 import Envelope

pytestmark = pytest.mark.integration


@pytest.fixture
async def env_bus(kafka_bootstrap: str) -> AsyncIterator[tuple[str, KafkaBus]]:
    async with probe_bus(kafka_bootstrap, "test-outbox-relay") as env_bus:
        yield env_bus


async def read_sequences(bus: KafkaBus, topic: str, expected: int) -> dict[str, list[int]]:
    """Entity sequences per key as they appear in the log (partition order)."""
    consumer = bus.consumer(ConsumerConfig(group_id=f"reader-{time.time_ns()}", topics=[topic]))
    await consumer.start()
    by_key: dict[str, list[int]] = {}
    seen = 0
    deadline = time.monotonic() + 30
    try:
        while seen < expected and time.monotonic() < deadline:
            for record in await consumer.poll(timeout_ms=500):
                env = Envelope.FromString(record.value)
                by_key.setdefault(record.key.decode(), []).append(env.entity.sequence)
                seen += 1
    finally:
        await consumer.stop()
    return by_key


async def unpublished(db: Database) -> int:
    async with db.sessions() as session:
        query = select(func.count()).select_from(OutboxEvent)
        return int((await session.exec(query.where(OutboxEvent.published_at.is_(None)))).one())  # type: ignore[union-attr]


async def test_relay_publishes_every_row_in_key_order_and_deletes_it(
    db: Database, env_bus: tuple[str, KafkaBus]
) -> None:
    env, bus = env_bus
    await produce(db, env, 300, keys=5, per_tx=7)
    relay = OutboxRelay(db, bus, batch_size=64)
    assert await relay.drain() == 300
    assert await unpublished(db) == 0
    async with db.sessions() as session:
        # Postgres default: published rows are deleted after the ack, not stamped.
        assert (await session.exec(select(func.count()).select_from(OutboxEvent))).one() == 0
    by_key = await read_sequences(bus, topic_name(PROBE_TOPIC, env), 300)
    assert sum(len(v) for v in by_key.values()) == 300
    for key, seqs in by_key.items():
        assert seqs == sorted(seqs), f"key {key} out of order"


async def test_two_relays_at_once_publish_each_row_once_in_key_order(
    db: Database, env_bus: tuple[str, KafkaBus]
) -> None:
    env, bus = env_bus
    await produce(db, env, 400, keys=16, per_tx=20)
    first = OutboxRelay(db, bus, batch_size=25, max_shards=8)
    second = OutboxRelay(db, bus, batch_size=25, max_shards=8)
    await asyncio.gather(first.drain(), second.drain())
    await first.drain()
    assert first.published_total + second.published_total == 400
    assert first.published_total > 0
    assert second.published_total > 0
    by_key = await read_sequences(bus, topic_name(PROBE_TOPIC, env), 400)
    assert sum(len(v) for v in by_key.values()) == 400
    for key, seqs in by_key.items():
        assert seqs == sorted(seqs), f"key {key} out of order"


async def test_notify_from_another_process_wakes_an_idle_relay(
    db: Database, env_bus: tuple[str, KafkaBus]
) -> None:
    env, bus = env_bus
    relay = OutboxRelay(db, bus, poll_interval_s=60)  # polling alone would take a minute
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(1.0)  # the relay is now LISTENing, idle
    url = db.engine.url.render_as_string(hide_password=False)
    script = (
        "import asyncio; from core.db import Database; from load.eventbus.harness import produce\n"
        f"db = Database.from_url({url!r})\n"
        f"asyncio.run(produce(db, {env!r}, 3))\n"
    )
    committed = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", script], check=True, timeout=60
    )
    assert committed.returncode == 0
    started = time.monotonic()
    while relay.published_total < 3 and time.monotonic() - started < 10:
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert relay.published_total == 3
    assert time.monotonic() - started < 5


async def test_a_relay_that_does_not_listen_ignores_other_processes_but_wakes_on_its_own(
    db: Database, env_bus: tuple[str, KafkaBus]
) -> None:
    env, bus = env_bus
    relay = OutboxRelay(db, bus, poll_interval_s=60, listen=False)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(1.0)  # idle after its first (empty) claim
    url = db.engine.url.render_as_string(hide_password=False)
    script = (
        "import asyncio; from core.db import Database; from load.eventbus.harness import produce\n"
        f"db = Database.from_url({url!r})\n"
        f"asyncio.run(produce(db, {env!r}, 3))\n"
    )
    await asyncio.to_thread(subprocess.run, [sys.executable, "-c", script], check=True, timeout=60)
    await asyncio.sleep(1.5)  # a listening relay publishes within milliseconds (test above)
    assert relay.published_total == 0
    # A commit in this process wakes it (the outbox signal), and it takes every pending row.
    await produce(db, env, 2)
    started = time.monotonic()
    while relay.published_total < 5 and time.monotonic() - started < 10:
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert relay.published_total == 5


async def test_unit_of_work_on_postgres_commits_state_and_events_together_or_neither(
    db: Database,
) -> None:
    from load.eventbus.harness import ProbeEffect, probe_envelope

    async with UnitOfWork(db, env="t") as uow:  # events only: the driver-level path
        first = uow.add_event(probe_envelope("p-1", 1))
        await uow.commit()
    async with UnitOfWork(db, env="t") as uow:  # ORM state + events in one transaction
        uow.session.add(ProbeEffect(event_id="state-1", probe_id="p-1", seq=2))
        uow.add_event(probe_envelope("p-1", 2))
        await uow.commit()
    assert await unpublished(db) == 2
    duplicate = Envelope.FromString(first.value)  # same event_id: the unique key refuses it

    async def failing_unit(with_state: bool) -> None:
        async with UnitOfWork(db, env="t") as uow:
            if with_state:
                uow.session.add(ProbeEffect(event_id="state-2", probe_id="p-1", seq=3))
            uow.add_event(probe_envelope("p-1", 3))
            uow.add_event(duplicate)
            await uow.commit()

    for with_state in (False, True):
        with pytest.raises(IntegrityError):
            await failing_unit(with_state)
    assert await unpublished(db) == 2  # neither failed unit left a row behind
    async with db.sessions() as session:
        states = (await session.exec(select(ProbeEffect.event_id))).all()
    assert states == ["state-1"]

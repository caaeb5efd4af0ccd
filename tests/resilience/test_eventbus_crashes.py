"""Kill the relay and a consumer at the worst moment; nothing is lost and nothing is doubled."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from core.db import Database
from eventbus.consumer import ConsumerRunner, ConsumerSpec, ProcessedEvent
from eventbus.envelope import to_record
from eventbus.kafka import KafkaBus
from eventbus.outbox import OutboxEvent
from eventbus.relay import OutboxRelay
from eventbus.topics import topic_name
from load.eventbus.harness import (
    PROBE_TOPIC,
    ProbeEffect,
    effect_count,
    probe_bus,
    probe_envelope,
    produce,
    record_effect,
    record_effects,
)

pytestmark = pytest.mark.integration
WORKER = Path(__file__).with_name("eventbus_worker.py")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def env_bus(kafka_bootstrap: str) -> AsyncIterator[tuple[str, KafkaBus]]:
    async with probe_bus(kafka_bootstrap, "test-crashes") as env_bus:
        yield env_bus


def run_worker(*args: str) -> int:
    done = subprocess.run(
        [sys.executable, str(WORKER), *args],
        cwd=REPO,
        timeout=120,
        check=False,
        env={"PYTHONPATH": f"{REPO}:{REPO / 'gen/python'}", "PATH": "/usr/bin:/bin"},
    )
    return done.returncode


def url_of(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


async def count(db: Database, model: type[OutboxEvent] | type[ProcessedEvent]) -> int:
    async with db.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def drain_consumer(runner: ConsumerRunner, db: Database, expected: int) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop, poll_timeout_ms=200))
    deadline = time.monotonic() + 60
    while await effect_count(db) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # let any late duplicate show up before counting
    stop.set()
    await task


async def test_relay_killed_after_the_ack_republishes_and_the_effect_happens_once(
    db: Database, env_bus: tuple[str, KafkaBus], kafka_bootstrap: str
) -> None:
    env, bus = env_bus
    await produce(db, env, 50, keys=5, per_tx=5)
    assert await asyncio.to_thread(run_worker, "relay", url_of(db), kafka_bootstrap) == 137
    async with db.sessions() as session:
        query = select(func.count()).select_from(OutboxEvent)
        still = (await session.exec(query.where(OutboxEvent.published_at.is_(None)))).one()  # type: ignore[union-attr]
    assert still == 50  # published, never marked
    assert await OutboxRelay(db, bus).drain() == 50  # the restarted relay publishes them again
    spec = ConsumerSpec("crash-relay-check", [topic_name(PROBE_TOPIC, env)], handler=record_effect)
    runner = ConsumerRunner(spec, bus, env=env, db=db)
    await drain_consumer(runner, db, 50)
    assert runner.applied == 50
    assert runner.duplicates == 50  # every event was in the log twice
    assert await effect_count(db) == 50


async def test_consumer_killed_mid_transaction_resumes_without_loss_or_duplicate(
    db: Database, env_bus: tuple[str, KafkaBus], kafka_bootstrap: str
) -> None:
    env, bus = env_bus
    records = [to_record(probe_envelope(f"p-{s % 4}", s), env=env) for s in range(1, 301)]
    await bus.publish_batch(records)
    group = "crash-consumer-check"
    code = await asyncio.to_thread(
        run_worker, "consumer", url_of(db), kafka_bootstrap, env, group, "180"
    )
    assert code == 137
    before = await effect_count(db)
    assert before < 300  # the transaction holding probe 180 died uncommitted
    spec = ConsumerSpec(group, [topic_name(PROBE_TOPIC, env)], handler=record_effect)
    await drain_consumer(ConsumerRunner(spec, bus, env=env, db=db), db, 300)
    assert await effect_count(db) == 300
    assert await count(db, ProcessedEvent) == 300
    async with db.sessions() as session:
        distinct = func.count(func.distinct(ProbeEffect.event_id))
        assert (await session.exec(select(distinct))).one() == 300


async def test_consumer_sigkilled_at_an_arbitrary_moment_loses_and_doubles_nothing(
    db: Database, env_bus: tuple[str, KafkaBus], kafka_bootstrap: str
) -> None:
    import os
    import signal

    env, bus = env_bus
    records = [to_record(probe_envelope(f"p-{s % 6}", s), env=env) for s in range(1, 3001)]
    await bus.publish_batch(records)
    group = "sigkill-consumer-check"
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), "consumer", url_of(db), kafka_bootstrap, env, group, "0"],
        cwd=REPO,
        env={"PYTHONPATH": f"{REPO}:{REPO / 'gen/python'}", "PATH": "/usr/bin:/bin"},
    )
    try:
        deadline = time.monotonic() + 90
        while await effect_count(db) < 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)  # wherever it is: mid-batch, mid-commit, idle
    finally:
        worker.wait(30)
    killed_at = await effect_count(db)
    assert 200 <= killed_at < 3000
    spec = ConsumerSpec(group, [topic_name(PROBE_TOPIC, env)], handler=record_effect)
    await drain_consumer(ConsumerRunner(spec, bus, env=env, db=db), db, 3000)
    assert await effect_count(db) == 3000
    async with db.sessions() as session:
        distinct = func.count(func.distinct(ProbeEffect.event_id))
        assert (await session.exec(select(distinct))).one() == 3000


async def test_batch_consumer_killed_mid_batch_applies_every_event_exactly_once(
    db: Database, env_bus: tuple[str, KafkaBus], kafka_bootstrap: str
) -> None:
    env, bus = env_bus
    records = [to_record(probe_envelope(f"p-{s % 4}", s), env=env) for s in range(1, 501)]
    await bus.publish_batch(records)
    await bus.publish_batch(records[100:200])  # and a redelivered stretch on top
    group = "crash-batch-consumer-check"
    code = await asyncio.to_thread(
        run_worker, "batch-consumer", url_of(db), kafka_bootstrap, env, group, "250"
    )
    assert code == 137
    before = await effect_count(db)
    assert before < 500  # the batch holding probe 250 died with its effects uncommitted
    spec = ConsumerSpec(group, [topic_name(PROBE_TOPIC, env)], batch_handler=record_effects)
    await drain_consumer(ConsumerRunner(spec, bus, env=env, db=db), db, 500)
    assert await effect_count(db) == 500
    assert await count(db, ProcessedEvent) == 500
    async with db.sessions() as session:
        distinct = func.count(func.distinct(ProbeEffect.event_id))
        assert (await session.exec(select(distinct))).one() == 500

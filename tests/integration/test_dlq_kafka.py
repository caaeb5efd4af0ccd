"""Poison records on the real Kafka + Postgres: DLQ with every field, flow goes on, replay once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import Database
from eventbus.bus import OutgoingRecord
from eventbus.consumer import ConsumerRunner, ConsumerSpec
from eventbus.dlq import read_dead_letters
from eventbus.envelope import to_record
from eventbus.kafka import KafkaBus
from eventbus.retry import RetryPolicy
from eventbus.topics import topic_name
from load.eventbus.harness import (
    PROBE_TOPIC,
    effects_by_key,
    probe_bus,
    probe_envelope,
    record_effect,
)
from orion.common.v1.envelope_pb2 import Envelope

pytestmark = pytest.mark.integration
CONSUMER = "dlq-check"
BUGGY_SEQ = 4


@pytest.fixture
async def env_bus(kafka_bootstrap: str) -> AsyncIterator[tuple[str, KafkaBus]]:
    async with probe_bus(kafka_bootstrap, "test-dlq", dlq_consumers=[CONSUMER]) as env_bus:
        yield env_bus


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def consume(runner: ConsumerRunner, done: Callable[[], bool], timeout_s: float = 60) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop, poll_timeout_ms=200))
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline and not task.done():
        await asyncio.sleep(0.1)
    stop.set()
    await task


def orion_cli(env: str, kafka: str, *args: str) -> str:
    environ = {
        **os.environ,
        "ORION_PROFILE": "real",
        "ORION_ENV": env,
        "ORION_KAFKA_BOOTSTRAP": kafka,
    }
    done = subprocess.run(
        [sys.executable, "-m", "core.cli.entry", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def handler(state: dict[str, bool]) -> Callable[[Envelope, Any, AsyncSession], Awaitable[None]]:
    async def handle(envelope: Envelope, payload: Any, session: AsyncSession) -> None:
        if payload.seq == BUGGY_SEQ and state["broken"]:
            raise RuntimeError("bug: cannot price probe 4")
        await record_effect(envelope, payload, session)

    return handle


async def test_poison_goes_to_the_dlq_and_a_fixed_consumer_applies_the_replay_once(
    db: Database, env_bus: tuple[str, KafkaBus], kafka_bootstrap: str
) -> None:
    env, bus = env_bus
    topic = topic_name(PROBE_TOPIC, env)
    records = [to_record(probe_envelope("p-1", s), env=env) for s in range(1, 7)]
    poison = OutgoingRecord(topic, b"p-1", b"\x08\x96\x01garbage", (("tenant_id", b"t-1"),))
    await bus.publish_batch([*records[:2], poison, *records[2:]])  # one key: one partition
    state = {"broken": True}
    sleeps = Sleeps()
    spec = ConsumerSpec(
        CONSUMER,
        [topic],
        handler=handler(state),
        retry=RetryPolicy(max_attempts=3),
        version="1.4.2",
    )
    runner = ConsumerRunner(spec, bus, env=env, db=db, sleep=sleeps)
    await consume(runner, lambda: runner.applied >= 5 and runner.dead_lettered >= 2)

    assert (await effects_by_key(db))["p-1"] == [1, 2, 3, 5, 6]  # the partition kept flowing
    assert sleeps.delays == [0.5, 1.0]
    letters = await read_dead_letters(bus, CONSUMER, env)
    assert [dl.original.value for dl in letters] == [poison.value, records[3].value]
    bad, bug = letters
    assert bad.error_class == "eventbus.errors.DecodeError"
    assert bad.attempts == 1
    assert not bad.retryable
    assert bug.error_class == "builtins.RuntimeError"
    assert bug.error_message == "bug: cannot price probe 4"
    assert bug.attempts == 3
    assert bug.retryable
    assert "handle" in bug.stack_summary
    assert (bug.consumer_name, bug.consumer_version) == (CONSUMER, "1.4.2")
    assert bug.original.topic == topic
    assert bug.original.key == b"p-1"
    assert bug.original.offset == 4
    assert dict((h.name, h.value) for h in bug.original.headers)["event_type"] == b"ProbeEmitted"
    assert bug.event_id == Envelope.FromString(records[3].value).event_id
    assert bug.first_failure_at.ToDatetime() <= bug.last_failure_at.ToDatetime()

    listing = orion_cli(env, kafka_bootstrap, "dlq", "list", "-c", CONSUMER)
    assert bug.dead_letter_id in listing
    assert "2 dead letter(s)" in listing
    shown = orion_cli(env, kafka_bootstrap, "dlq", "show", bug.dead_letter_id, "-c", CONSUMER)
    assert "cannot price probe 4" in shown

    state["broken"] = False  # the fix is deployed
    assert "would replay" in orion_cli(
        env, kafka_bootstrap, "dlq", "replay", bug.dead_letter_id, "-c", CONSUMER, "--dry-run"
    )
    for _ in range(2):  # replaying twice must still apply once
        orion_cli(env, kafka_bootstrap, "dlq", "replay", bug.dead_letter_id, "-c", CONSUMER)
    fixed = ConsumerRunner(spec, bus, env=env, db=db, sleep=sleeps)
    await consume(fixed, lambda: fixed.applied + fixed.duplicates >= 2)
    assert (await effects_by_key(db))["p-1"] == [1, 2, 3, 5, 6, 4]
    assert fixed.applied == 1
    assert fixed.duplicates == 1

    other_spec = ConsumerSpec("dlq-bystander", [topic], handler=record_effect)
    other = ConsumerRunner(other_spec, bus, env=env, db=db)
    await consume(other, lambda: other.applied >= 6)
    await asyncio.sleep(0.5)
    assert other.applied == 6  # the replays were addressed to dlq-check only

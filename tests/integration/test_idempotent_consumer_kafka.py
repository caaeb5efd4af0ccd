"""Idempotent consumers on the real Kafka, Postgres and Redis: duplicates make no second effect."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from core.db import Database
from eventbus.bus import OutgoingRecord
from eventbus.consumer import ConsumerRunner, ConsumerSpec
from eventbus.envelope import to_record
from eventbus.kafka import KafkaBus
from eventbus.readmodel import ReadModelStore, RedisReadModelStore, pointer_key
from eventbus.topics import topic_name
from load.eventbus.harness import (
    PROBE_TOPIC,
    effect_count,
    effects_by_key,
    probe_bus,
    probe_envelope,
    record_effect,
    record_effects,
    record_effects_pg,
)
from orion.common.v1.envelope_pb2 import Envelope

pytestmark = pytest.mark.integration


@pytest.fixture
async def env_bus(kafka_bootstrap: str) -> AsyncIterator[tuple[str, KafkaBus]]:
    async with probe_bus(kafka_bootstrap, "test-idempotent-consumer") as env_bus:
        yield env_bus


def probe_records(env: str, count: int, keys: int = 10) -> list[OutgoingRecord]:
    return [to_record(probe_envelope(f"p-{s % keys}", s), env=env) for s in range(1, count + 1)]


async def run_until(runner: ConsumerRunner, done: Any, timeout_s: float = 60) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop, poll_timeout_ms=200))
    deadline = time.monotonic() + timeout_s
    try:
        while not await done() and time.monotonic() < deadline:
            if task.done():
                task.result()
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task


@pytest.mark.parametrize(
    "batched", ["no", "session", "driver"], ids=["handler", "batch_handler", "pg_batch_handler"]
)
async def test_duplicate_delivery_of_1000_events_makes_exactly_1000_effects(
    db: Database, env_bus: tuple[str, KafkaBus], batched: str
) -> None:
    env, bus = env_bus
    records = probe_records(env, 1000)
    await bus.publish_batch(records)
    await bus.publish_batch(records)  # every event delivered twice (e.g. a relay crash)
    topics = [topic_name(PROBE_TOPIC, env)]
    if batched == "driver":
        spec = ConsumerSpec(
            "dup-check", topics, batch_handler=record_effects, pg_batch_handler=record_effects_pg
        )
    elif batched == "session":
        spec = ConsumerSpec("dup-check", topics, batch_handler=record_effects)
    else:
        spec = ConsumerSpec("dup-check", topics, handler=record_effect)
    runner = ConsumerRunner(spec, bus, env=env, db=db)

    async def all_seen() -> bool:
        return runner.applied + runner.duplicates >= 2000

    await run_until(runner, all_seen)
    assert await effect_count(db) == 1000
    assert runner.applied == 1000
    assert runner.duplicates == 1000
    for key, seqs in (await effects_by_key(db)).items():
        assert seqs == sorted(seqs), f"{key} applied out of order"


async def test_redis_read_model_applies_only_newer_sequences(
    env_bus: tuple[str, KafkaBus], redis_url: str
) -> None:
    env, bus = env_bus
    model = f"rm_test_{uuid.uuid4().hex[:8]}"

    async def project(envelope: Envelope, payload: Any, store: ReadModelStore) -> None:
        await store.apply(model, payload.probe_id, envelope.entity.sequence, b"%d" % payload.seq)

    store = RedisReadModelStore(Redis.from_url(redis_url))
    try:
        records = probe_records(env, 50, keys=5)
        stale = records[:10]  # redelivered old events must not roll anything back
        await bus.publish_batch(records + stale + records[-5:])
        spec = ConsumerSpec("rm-check", [topic_name(PROBE_TOPIC, env)], projector=project)
        runner = ConsumerRunner(spec, bus, env=env, store=store)

        async def all_seen() -> bool:
            return runner.applied >= 65

        await run_until(runner, all_seen)
        entries = await store.entries(model)
        assert {k: v.sequence for k, v in entries.items()} == {
            f"p-{k}": max(s for s in range(1, 51) if s % 5 == k) for k in range(5)
        }
        assert all(v.value == b"%d" % v.sequence for v in entries.values())
        assert not await store.apply(model, "p-1", 3, b"old")
    finally:
        await store.drop(model, await store.active_generation(model))
        await store.close()


async def test_rebuild_from_kafka_into_redis_matches_the_live_model_and_swaps(
    env_bus: tuple[str, KafkaBus], redis_url: str
) -> None:
    from eventbus.readmodel import checksum
    from eventbus.replay import RebuildableReadModel, rebuild

    env, bus = env_bus
    model = f"rm_test_{uuid.uuid4().hex[:8]}"

    async def project(envelope: Envelope, payload: Any, store: ReadModelStore) -> None:
        await store.apply(model, payload.probe_id, envelope.entity.sequence, b"%d" % payload.seq)

    store = RedisReadModelStore(Redis.from_url(redis_url))
    try:
        await bus.publish_batch(probe_records(env, 200, keys=7))
        spec = ConsumerSpec("rm-live", [topic_name(PROBE_TOPIC, env)], projector=project)
        live = ConsumerRunner(spec, bus, env=env, store=store)

        async def all_seen() -> bool:
            return live.applied >= 200

        await run_until(live, all_seen)
        live_sum = checksum(await store.entries(model))
        rebuildable = RebuildableReadModel(model, [PROBE_TOPIC], project)
        result = await rebuild(rebuildable, bus, store, env=env)
        assert result.events == 200
        assert result.entries == 7
        assert result.checksum == live_sum
        assert await store.active_generation(model) == result.generation
        assert await store.entries(model, result.replaced) == {}
    finally:
        await store.drop(model, await store.active_generation(model))
        await store.close()
        cleanup = Redis.from_url(redis_url)
        await cleanup.delete(pointer_key(model))
        await cleanup.aclose()

"""The benchmark's roles: paced producers, the relay and a measuring idempotent consumer."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core.db import Database
from eventbus.bus import ConsumerConfig, EventBus
from eventbus.consumer import ConsumerRunner, ConsumerSpec, next_offsets
from eventbus.envelope import DecodedEvent
from eventbus.outbox import UnitOfWork
from eventbus.relay import OutboxRelay
from eventbus.topics import topic_name
from load.eventbus.harness import PROBE_TOPIC, probe_envelope, record_effects


@dataclass(frozen=True)
class Load:
    """`rate` events/s for `duration_s`, `per_tx` events per state-change transaction."""

    rate: float
    duration_s: float
    per_tx: int = 10
    workers: int = 8
    keys: int = 64


@dataclass
class ProducerResult:
    events: int = 0
    transactions: int = 0
    started: float = 0.0
    finished: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / max(self.finished - self.started, 1e-9)


async def produce(db: Database, env: str, load: Load) -> ProducerResult:
    """Commit outbox rows on a fixed schedule (catching up when behind) until the deadline."""
    result = ProducerResult(started=time.time())
    tx_rate = load.rate / load.per_tx
    total_tx = int(tx_rate * load.duration_s)
    counter = itertools.count()
    seqs = itertools.count(1)

    deadline = result.started + load.duration_s

    async def worker() -> None:
        # Stops at the deadline even when behind schedule: the run stays bounded in time and
        # the achieved rate is what gets reported.
        while (i := next(counter)) < total_tx and time.time() < deadline:
            delay = result.started + i / tx_rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            async with UnitOfWork(db, env=env) as uow:
                for _ in range(load.per_tx):
                    seq = next(seqs)
                    uow.add_event(probe_envelope(f"k-{seq % load.keys}", seq))
                await uow.commit()
            result.transactions += 1
            result.events += load.per_tx

    await asyncio.gather(*(worker() for _ in range(load.workers)))
    result.finished = time.time()
    return result


@dataclass
class ConsumerResult:
    effects: int = 0
    duplicates: int = 0
    first_effect: float = 0.0
    last_effect: float = 0.0
    latencies_us: list[int] = field(default_factory=list)
    # (seconds since start, cumulative effects) once per second: shows whether it kept up.
    timeline: list[tuple[float, int]] = field(default_factory=list)


def _latencies(events: list[DecodedEvent], now_ns: int) -> list[int]:
    return [(now_ns - e.envelope.occurred_at.ToNanoseconds()) // 1000 for e in events]


async def consume(
    bus: EventBus,
    db: Database,
    env: str,
    group: str,
    done: Callable[[int], bool],
    timeout_s: float,
) -> ConsumerResult:
    """Idempotent consumer writing a Postgres/SQLite effect per event, timing each one from
    its `occurred_at` (set just before the producer's commit) to the effect's commit."""
    spec = ConsumerSpec(
        group, [topic_name(PROBE_TOPIC, env)], batch_handler=record_effects, max_batch=2000
    )
    runner = ConsumerRunner(spec, bus, env=env, db=db)
    config = ConsumerConfig(group_id=group, topics=list(spec.topics), max_batch=2000)
    consumer = bus.consumer(config)
    await consumer.start()
    result = ConsumerResult()
    start = time.time()
    next_tick = start + 1
    try:
        while not done(runner.applied) and time.time() - start < timeout_s:
            records = await consumer.poll(timeout_ms=100)
            if records:
                events = await runner.process_batch(records)
                now = time.time_ns()
                result.latencies_us.extend(_latencies(events, now))
                result.first_effect = result.first_effect or now / 1e9
                result.last_effect = now / 1e9
                await consumer.commit(next_offsets(records))
                await spec.linger.after(len(records), spec.max_batch)
            if time.time() >= next_tick:
                result.timeline.append((round(time.time() - start, 1), runner.applied))
                next_tick += 1
    finally:
        await consumer.stop()
    result.effects, result.duplicates = runner.applied, runner.duplicates
    return result


async def relay_until(db: Database, bus: EventBus, stop: asyncio.Event) -> int:
    relay = OutboxRelay(db, bus, batch_size=1000, poll_interval_s=0.2)
    await relay.run(stop)
    return relay.published_total


def percentiles(values: list[int]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1] / 1000}

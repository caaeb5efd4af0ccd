"""The benchmark's roles: paced producers, the relay and a measuring idempotent consumer."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from core.db import Database
from eventbus.bus import EventBus
from eventbus.consumer import ConsumerRunner, ConsumerSpec
from eventbus.envelope import DecodedEvent
from eventbus.outbox import UnitOfWork
from eventbus.relay import OutboxRelay
from eventbus.topics import topic_name
from load.eventbus.harness import (
    PROBE_TOPIC,
    probe_envelope,
    record_effects,
    record_effects_pg,
)


@dataclass(frozen=True)
class Load:
    """`rate` events/s for `duration_s`, `per_tx` events per state-change transaction.

    Events of the first `warmup_s` are applied and counted but not timed: they pay first-use
    costs (topic metadata, statement preparation, connection set-up) once per process, ~150 ms
    for the first event, which a service that has been running has long paid."""

    rate: float
    duration_s: float
    per_tx: int = 10
    workers: int = 8
    keys: int = 64
    warmup_s: float = 1.0


WARMUP_NOTE = "warmup"


@dataclass
class ProducerResult:
    events: int = 0
    transactions: int = 0
    started: float = 0.0
    finished: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / max(self.finished - self.started, 1e-9)


async def warm_pool(db: Database, connections: int) -> None:
    """Open `connections` pooled connections and run one statement on each, as a service's
    pool is after its first requests: the first second of a run otherwise measures 32
    connection set-ups at once (~300 ms), not the pipeline."""
    held: list[Any] = []
    try:
        for _ in range(connections):
            conn = await db.engine.connect()
            held.append(conn)
            await conn.execute(text("SELECT 1"))
    finally:
        for conn in held:
            await conn.close()


async def produce(db: Database, env: str, load: Load) -> ProducerResult:
    """Commit outbox rows on a fixed schedule (catching up when behind) until the deadline."""
    result = ProducerResult(started=time.time())
    tx_rate = load.rate / load.per_tx
    total_tx = int(tx_rate * load.duration_s)
    counter = itertools.count()
    seqs = itertools.count(1)
    warmup_tx = int(tx_rate * load.warmup_s)

    deadline = result.started + load.duration_s

    async def worker() -> None:
        # Stops at the deadline even when behind schedule: the run stays bounded in time and
        # the achieved rate is what gets reported.
        while (i := next(counter)) < total_tx and time.time() < deadline:
            delay = result.started + i / tx_rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            note = WARMUP_NOTE if i < warmup_tx else "eventbus"
            async with UnitOfWork(db, env=env) as uow:
                for _ in range(load.per_tx):
                    seq = next(seqs)
                    uow.add_event(probe_envelope(f"k-{seq % load.keys}", seq, note=note))
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


def _latencies(events: Sequence[DecodedEvent], now_ns: int) -> list[int]:
    return [
        (now_ns - e.envelope.occurred_at.ToNanoseconds()) // 1000
        for e in events
        if e.payload.note != WARMUP_NOTE
    ]


async def consume(
    bus: EventBus,
    db: Database,
    env: str,
    group: str,
    done: Callable[[int], bool],
    timeout_s: float,
    assigned: asyncio.Event | None = None,
) -> ConsumerResult:
    """The services' idempotent consumer loop (ConsumerRunner.run) writing a Postgres/SQLite
    effect per event, timing each one from its `occurred_at` (set just before the producer's
    commit) to the commit of its effect. `assigned` is set once the group has given the
    consumer its partitions: a producer started before that would measure the group join."""
    spec = ConsumerSpec(
        group,
        [topic_name(PROBE_TOPIC, env)],
        batch_handler=record_effects,
        pg_batch_handler=record_effects_pg,
        max_batch=2000,
    )
    runner = ConsumerRunner(spec, bus, env=env, db=db)
    result = ConsumerResult()
    stop = asyncio.Event()
    start = time.time()

    def observe(events: Sequence[DecodedEvent]) -> None:
        now = time.time_ns()
        result.latencies_us.extend(_latencies(events, now))
        result.first_effect = result.first_effect or now / 1e9
        result.last_effect = now / 1e9
        if done(runner.applied):
            stop.set()

    async def watch() -> None:
        # Once a second: the timeline, the deadline, and `done` turning true after the
        # producer finished with nothing left to apply (no batch would come to check it).
        while not stop.is_set():
            await asyncio.sleep(1)
            result.timeline.append((round(time.time() - start, 1), runner.applied))
            if done(runner.applied) or time.time() - start >= timeout_s:
                stop.set()

    async def signal_assigned() -> None:
        await runner.assigned.wait()
        if assigned is not None:
            assigned.set()

    async def apply() -> None:
        signalling = asyncio.create_task(signal_assigned())
        try:
            await runner.run(stop, poll_timeout_ms=100, observe=observe)
        finally:
            signalling.cancel()
            stop.set()  # a failed consumer ends the watch too

    await asyncio.gather(apply(), watch())
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

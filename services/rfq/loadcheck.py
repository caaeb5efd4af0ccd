"""Bounded RFQ→trade load check on the real servers, in one process (no BFF, no gRPC).

`python -m services.rfq.loadcheck --count 200 --concurrency 20` boots the RFQ handlers, the
relay, the RFQ/execution consumers and five LP bots against Kafka + Postgres on a fresh env, then
drives `count` RFQs (create → 5 quotes → accept best firm quote → TRADED) and prints p50/p99 of
each leg and the throughput. The full benchmark through the BFF belongs to load/.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import eventbus.consumer  # noqa: F401  (processed_events table)
import services.execution.event_specs
import services.rfq.event_specs  # noqa: F401
from core.db import Database, utc_now
from core.settings import Profile, Settings
from eventbus.consumer import ConsumerRunner
from eventbus.kafka import KafkaBus
from eventbus.relay import OutboxRelay
from eventbus.topics import TOPICS
from services.execution.handlers import consumer_spec as execution_consumer
from services.lp_bots.bot import LpBot
from services.lp_bots.profiles import default_lps, static_mids
from services.lp_bots.runner import LpBotService
from services.rfq.commands import AcceptQuote, Caller, CreateRfq
from services.rfq.consumers import consumer_spec as rfq_consumer
from services.rfq.errors import RfqError
from services.rfq.events import RfqState, Side
from services.rfq.handlers import RfqDeps, accept_quote, create_rfq, get_rfq
from services.rfq.risk import RateLimiter, RiskLimits
from services.rfq.routing import LpProfile, Router

TOPIC_NAMES = ("rfq.lifecycle.v1", "rfq.quotes.v1", "execution.trades.v1")


@dataclass
class Legs:
    create: list[float] = field(default_factory=list)
    quotes: list[float] = field(default_factory=list)
    accept: list[float] = field(default_factory=list)
    trade: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    failed: int = 0


async def _wait(deps: RfqDeps, tenant: str, rfq_id: str, done: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rfq = await get_rfq(deps, tenant, rfq_id)
        if (done == "quotes" and len(rfq.quotes) >= 5) or rfq.state is RfqState.TRADED:
            return True
        await asyncio.sleep(0.05)  # polling the DB is load too: keep it modest
    return False


async def one_rfq(deps: RfqDeps, legs: Legs, i: int, tenants: int) -> None:
    tenant = f"t-load-{i % tenants}"
    caller = Caller(tenant, f"user-{i % 10}", f"load-{uuid.uuid4().hex[:12]}")
    t0 = time.perf_counter()
    cmd = CreateRfq(
        uuid.uuid4().hex, "FX.EURUSD", Side.BUY, Decimal(1_000_000), timedelta(seconds=20)
    )
    rfq = await create_rfq(deps, caller, cmd)
    t1 = time.perf_counter()
    if not await _wait(deps, tenant, rfq.rfq_id, "quotes", 15):
        legs.failed += 1
        return
    t2 = time.perf_counter()
    rfq = await get_rfq(deps, tenant, rfq.rfq_id)
    ranked = rfq.ranked(utc_now())
    if not ranked:  # every quote lapsed before we got to it
        legs.failed += 1
        return
    best = ranked[0].quote
    try:
        accept = AcceptQuote(uuid.uuid4().hex, rfq.rfq_id, best.quote_id, rfq.version)
        await accept_quote(deps, caller, accept)
    except RfqError:  # the quote lapsed or the book moved: a lost RFQ, counted
        legs.failed += 1
        return
    t3 = time.perf_counter()
    if not await _wait(deps, tenant, rfq.rfq_id, "traded", 15):
        legs.failed += 1
        return
    t4 = time.perf_counter()
    for leg, value in zip(
        (legs.create, legs.quotes, legs.accept, legs.trade, legs.total),
        (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0),
        strict=True,
    ):
        leg.append(value * 1000)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(legs: Legs, elapsed: float, count: int) -> str:
    lines = [
        f"RFQs traded: {len(legs.total)}/{count} in {elapsed:.1f} s "
        f"({len(legs.total) / elapsed:.1f} RFQ/s), failed {legs.failed}"
    ]
    for name in ("create", "quotes", "accept", "trade", "total"):
        values: list[float] = getattr(legs, name)
        if values:
            lines.append(
                f"{name:>7}: p50 {statistics.median(values):7.1f} ms  "
                f"p99 {_pct(values, 0.99):7.1f} ms"
            )
    return "\n".join(lines)


async def run(count: int, concurrency: int, tenants: int = 1) -> str:
    settings = Settings(profile=Profile.REAL)
    env = f"lc{uuid.uuid4().hex[:8]}"
    bus = KafkaBus(settings.effective_kafka_bootstrap(), client_id=f"loadcheck-{env}")
    await bus.start()
    await bus.ensure_topics([TOPICS[n].spec(env) for n in TOPIC_NAMES])
    db = Database.from_url(settings.effective_database_url(), pool_size=concurrency)
    await db.create_all()
    lps = default_lps()
    deps = RfqDeps(
        db=db,
        env=env,
        clock=utc_now,
        router=Router(tuple(LpProfile(c.lp_id, max_rfqs_per_s=10_000) for c in lps)),
        limiter=RateLimiter(RiskLimits(Decimal("1e12"), 1e6, 1e6)),
        entitlements=lambda _t, _u: {"*"},
        mids=static_mids(),
    )
    lp = LpBotService(
        [LpBot(c) for c in lps],
        bus,
        env=env,
        mids=static_mids(),
        clock=utc_now,
        group=f"lp-bots-{env}",
        start_from="earliest",
    )
    stop = asyncio.Event()
    runners = [
        ConsumerRunner(rfq_consumer(deps, f"rfq-service-{env}"), bus, env=env, db=db),
        ConsumerRunner(execution_consumer(env, utc_now, f"execution-{env}"), bus, env=env, db=db),
    ]
    tasks = [
        asyncio.create_task(OutboxRelay(db, bus, poll_interval_s=0.05).run(stop)),
        asyncio.create_task(lp.run(stop, poll_timeout_ms=20)),
        *(asyncio.create_task(r.run(stop, poll_timeout_ms=20)) for r in runners),
    ]
    legs, gate = Legs(), asyncio.Semaphore(concurrency)

    async def bounded(i: int) -> None:
        async with gate:
            await one_rfq(deps, legs, i, tenants)

    started = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(bounded(i) for i in range(count))), timeout=120)
    finally:
        elapsed = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bus.stop()
        await db.dispose()
    return report(legs, elapsed, count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    # Each tenant has its own audit chain (and chain lock): spread load to measure that cost.
    parser.add_argument("--tenants", type=int, default=1)
    args = parser.parse_args()
    print(asyncio.run(run(args.count, args.concurrency, args.tenants)))


if __name__ == "__main__":
    main()

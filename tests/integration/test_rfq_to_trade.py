"""RFQ to trade on the real Kafka and PostgreSQL: LP bots quote, accept, exactly one trade."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

import eventbus.consumer  # noqa: F401  (processed_events table)
import services.execution.event_specs
import services.rfq.event_specs  # noqa: F401
from core.db import Database, create_database, utc_now
from core.settings import Profile, Settings
from eventbus.bus import OutgoingRecord
from eventbus.consumer import ConsumerRunner
from eventbus.kafka import KafkaBus
from eventbus.outbox import decode_headers
from eventbus.relay import OutboxRelay
from eventbus.topics import TOPICS
from services.audit import store as audit_store
from services.audit.chain import verify
from services.execution.handlers import consumer_spec as execution_consumer
from services.execution.store import trades_of_rfq
from services.identity.db_roles import EXECUTION_ROLE, RELAY_ROLE, RFQ_ROLE, migrate
from services.lp_bots.bot import LpBot
from services.lp_bots.profiles import default_lps, static_mids
from services.lp_bots.runner import LpBotService
from services.rfq.commands import AcceptQuote, Caller, CancelRfq, CreateRfq
from services.rfq.consumers import consumer_spec as rfq_consumer
from services.rfq.domain import Rfq
from services.rfq.errors import CancelAfterAccept
from services.rfq.events import RfqState, Side
from services.rfq.handlers import RfqDeps, accept_quote, cancel_rfq, create_rfq, get_rfq
from services.rfq.risk import RateLimiter, RiskLimits
from services.rfq.routing import LpProfile, Router

pytestmark = pytest.mark.integration
TEST_DB = "orion_it_rfq"
TOPIC_NAMES = ("rfq.lifecycle.v1", "rfq.quotes.v1", "execution.trades.v1")


@dataclass
class Platform:
    deps: RfqDeps
    bus: KafkaBus
    db: Database
    lp: LpBotService
    env: str


@pytest.fixture
async def platform(kafka_bootstrap: str, database_url: str) -> AsyncIterator[Platform]:
    # A database of its own, so other tests' outbox rows and relays never mix with ours.
    await create_database(database_url, TEST_DB, exist_ok=True)
    env = f"it{uuid.uuid4().hex[:8]}"
    bus = KafkaBus(kafka_bootstrap, client_id=f"rfq-{env}")
    await bus.start()
    await bus.ensure_topics([TOPICS[name].spec(env) for name in TOPIC_NAMES])
    # As in production: the owner migrates (forced RLS, grants), each service runs on its own
    # role, the relay on the relay role; `db` (the owner, tenant-bound too) checks results.
    settings = Settings(profile=Profile.REAL, database_url=_url(database_url))
    roles = {r: Database.for_role(settings, r, pool_size=5) for r in (RFQ_ROLE, EXECUTION_ROLE)}
    relay_db = Database.for_role(settings, RELAY_ROLE, pool_size=2)
    await migrate(settings, roles[RFQ_ROLE])
    db = Database.from_url(settings.effective_database_url(), pool_size=2)
    lps = default_lps()
    deps = RfqDeps(
        db=roles[RFQ_ROLE],
        env=env,
        clock=utc_now,
        router=Router(tuple(LpProfile(c.lp_id) for c in lps)),
        limiter=RateLimiter(RiskLimits(Decimal("1e9"), 1000.0, 1000.0)),
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
    runners = [
        ConsumerRunner(
            rfq_consumer(deps, group=f"rfq-service-{env}"), bus, env=env, db=roles[RFQ_ROLE]
        ),
        ConsumerRunner(
            execution_consumer(env, utc_now, group=f"execution-{env}"),
            bus,
            env=env,
            db=roles[EXECUTION_ROLE],
        ),
    ]
    stop = asyncio.Event()
    tasks = [
        # keep_published: _republish_quote_accepted reads a published row back from the outbox.
        asyncio.create_task(
            OutboxRelay(relay_db, bus, poll_interval_s=0.05, keep_published=True).run(stop)
        ),
        asyncio.create_task(lp.run(stop, poll_timeout_ms=100)),
        *(asyncio.create_task(r.run(stop, poll_timeout_ms=100)) for r in runners),
    ]
    try:
        yield Platform(deps, bus, db, lp, env)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=30)
        await bus.stop()
        for pool in (db, relay_db, *roles.values()):
            await pool.dispose()


def _url(database_url: str) -> str:
    return database_url.rsplit("/", 1)[0] + f"/{TEST_DB}"


async def eventually(
    check: Callable[[], Awaitable[Rfq | None]], what: str, timeout_s: float = 30.0
) -> Rfq:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = await check()
        if result is not None:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def caller(corr: str) -> Caller:
    return Caller("t-it", "alice", corr)


async def quoted_rfq(p: Platform, corr: str, key: str) -> Rfq:
    cmd = CreateRfq(key, "FX.EURUSD", Side.BUY, Decimal("1000000"), timedelta(seconds=30))
    created = await create_rfq(p.deps, caller(corr), cmd)
    assert created.state is RfqState.SENT, created.reason

    async def five_quotes() -> Rfq | None:
        rfq = await get_rfq(p.deps, "t-it", created.rfq_id)
        return rfq if len(rfq.quotes) >= 5 else None

    return await eventually(five_quotes, "quotes from all five LPs")


async def traded(p: Platform, rfq_id: str) -> Rfq:
    async def check() -> Rfq | None:
        rfq = await get_rfq(p.deps, "t-it", rfq_id)
        return rfq if rfq.state is RfqState.TRADED else None

    return await eventually(check, "the RFQ to be TRADED")


def best_firm_quote(rfq: Rfq) -> str:
    """Best-ranked quote of an LP without last look (the test is about the happy path)."""
    return next(r.quote.quote_id for r in rfq.ranked(utc_now()) if not r.quote.last_look)


async def test_rfq_quoted_by_lps_accepted_becomes_exactly_one_trade(platform: Platform) -> None:
    corr = f"corr-{uuid.uuid4().hex[:8]}"
    rfq = await quoted_rfq(platform, corr, f"create-{corr}")
    assert len({q.lp_id for q in rfq.quotes.values()}) >= 3
    ranked = [r.quote.price for r in rfq.ranked(utc_now())]
    assert ranked == sorted(ranked)
    accept = AcceptQuote(f"accept-{corr}", rfq.rfq_id, best_firm_quote(rfq), rfq.version)
    first = await accept_quote(platform.deps, caller(corr), accept)
    again = await accept_quote(platform.deps, caller(corr), accept)
    assert first.state is again.state is RfqState.ACCEPTED
    done = await traded(platform, rfq.rfq_id)
    async with platform.db.tenant_session("t-it") as session:
        [trade] = await trades_of_rfq(session, "t-it", rfq.rfq_id)
    assert done.trade_id == trade.trade_id
    assert trade.quote_id == accept.quote_id
    with pytest.raises(CancelAfterAccept):
        await cancel_rfq(platform.deps, caller(corr), CancelRfq(f"cancel-{corr}", rfq.rfq_id))
    hops = await audit_store.by_correlation(platform.db, corr, "t-it")
    components = {r.entry.component for r in hops}
    actions = [r.entry.action for r in hops]
    assert components == {"rfq-service", "execution-service"}
    for step in (
        "RfqCreated",
        "RfqSent",
        "QuoteReceived",
        "QuoteAccepted",
        "TradeExecuted",
        "RfqTraded",
        "CancelRfq",
    ):
        assert step in actions, step
    assert verify("t-it", await audit_store.load_chain(platform.db, "t-it")).ok


async def _republish_quote_accepted(p: Platform, rfq_id: str) -> None:
    """Publish the stored QuoteAccepted record again, as a relay crash would (same event id)."""
    async with p.db.tenant_session("t-it") as session:
        conn = await session.connection()
        rows = (
            await conn.execute(
                text("SELECT topic, key, value, headers FROM outbox_events WHERE key = :k"),
                {"k": rfq_id.encode()},
            )
        ).all()
    for topic, key, value, headers in rows:
        decoded = decode_headers(bytes(headers))
        if dict(decoded).get("event_type") == b"QuoteAccepted":
            await p.bus.publish(OutgoingRecord(topic, bytes(key), bytes(value), decoded))
            return
    raise AssertionError("no QuoteAccepted in the outbox")


async def test_duplicate_quote_accepted_delivery_still_one_trade(platform: Platform) -> None:
    corr = f"corr-{uuid.uuid4().hex[:8]}"
    rfq = await quoted_rfq(platform, corr, f"create-{corr}")
    accept = AcceptQuote(f"accept-{corr}", rfq.rfq_id, best_firm_quote(rfq), rfq.version)
    await accept_quote(platform.deps, caller(corr), accept)
    await traded(platform, rfq.rfq_id)
    for _ in range(2):
        await _republish_quote_accepted(platform, rfq.rfq_id)
    await asyncio.sleep(1.0)  # let the execution consumer see both copies
    async with platform.db.tenant_session("t-it") as session:
        trades = await trades_of_rfq(session, "t-it", rfq.rfq_id)
    assert len(trades) == 1


async def test_last_look_quote_trades_after_the_lp_confirms(platform: Platform) -> None:
    corr = f"corr-{uuid.uuid4().hex[:8]}"
    rfq = await quoted_rfq(platform, corr, f"create-{corr}")
    held = next(r.quote for r in rfq.ranked(utc_now()) if r.quote.last_look)
    accept = AcceptQuote(f"accept-{corr}", rfq.rfq_id, held.quote_id, rfq.version)
    accepted = await accept_quote(platform.deps, caller(corr), accept)
    assert accepted.awaiting_last_look
    done = await traded(platform, rfq.rfq_id)  # reference mids do not move: the LP confirms
    assert done.accepted_quote_id == held.quote_id
    assert platform.lp.last_looks >= 1
    actions = [r.entry.action for r in await audit_store.by_correlation(platform.db, corr, "t-it")]
    assert actions.index("QuoteAcceptanceRequested") < actions.index("QuoteAccepted")

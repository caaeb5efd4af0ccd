"""RFQ command and event handlers on SQLite: outbox, idempotency, concurrency, audit, expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import services.execution.event_specs  # noqa: F401  (registers TradeExecuted)
from core.db import Database
from orion.execution.v1.execution_pb2 import Trade, TradeExecuted
from orion.rfq.v1 import events_pb2 as pb
from services.audit import store as audit_store
from services.audit.chain import verify
from services.rfq.commands import AcceptQuote, Caller, CancelRfq, CreateRfq
from services.rfq.domain import Rfq
from services.rfq.errors import (
    CancelAfterAccept,
    NotRequester,
    RfqAlreadyExpired,
    RfqNotOpen,
    VersionConflict,
)
from services.rfq.events import RfqState, Side
from services.rfq.handlers import RfqDeps, accept_quote, cancel_rfq, create_rfq, expire_rfq, get_rfq
from services.rfq.timers import ExpiryTimers
from tests.unit.rfq.service_fixtures import Clock, deliver, make_deps, only, outbox_types, submitted

ALICE = Caller("t1", "alice", "corr-1")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'rfq.db'}")
    await database.create_all()
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(db: Database, clock: Clock) -> RfqDeps:
    return make_deps(db, clock)


def create(key: str = "k1", qty: str = "1000000", instrument: str = "EURUSD") -> CreateRfq:
    return CreateRfq(key, instrument, Side.BUY, Decimal(qty), timedelta(seconds=10))


async def quoting(deps: RfqDeps, clock: Clock, last_look: bool = False) -> Rfq:
    rfq = await create_rfq(deps, ALICE, create())
    for lp, px in (("lp-a", "1.1003"), ("lp-b", "1.1001"), ("lp-c", "1.1002")):
        await deliver(
            deps, "QuoteSubmitted", submitted(rfq.rfq_id, lp, px, clock, last_look=last_look)
        )
    return await get_rfq(deps, "t1", rfq.rfq_id)


async def test_create_routes_to_lps_and_stages_events_atomically(
    deps: RfqDeps, clock: Clock
) -> None:
    rfq = await create_rfq(deps, ALICE, create())
    assert rfq.state is RfqState.SENT
    assert rfq.lp_ids == ("lp-a", "lp-b", "lp-c")
    assert clock.armed == [("t1", rfq.rfq_id, rfq.expires_at)]
    async with deps.db.sessions() as s:
        assert await outbox_types(s) == ["RfqCreated", "RfqSent"]
    chain = await audit_store.load_chain(deps.db, "t1")
    assert verify("t1", chain).ok
    assert [r.entry.action for r in chain][:3] == [
        "PreTradeCheck.entitlement",
        "PreTradeCheck.max_notional",
        "PreTradeCheck.rfq_rate",
    ]


async def test_create_retry_with_same_key_returns_the_first_rfq(deps: RfqDeps) -> None:
    first = await create_rfq(deps, ALICE, create("same"))
    again = await create_rfq(deps, ALICE, create("same"))
    assert again.rfq_id == first.rfq_id
    async with deps.db.sessions() as s:
        assert only(await outbox_types(s), "RfqCreated") == 1


async def test_breach_stores_rejected_rfq_with_risk_limit_breached(
    db: Database, clock: Clock
) -> None:
    deps = make_deps(db, clock, max_notional="1000")
    rfq = await create_rfq(deps, ALICE, create())
    assert rfq.state is RfqState.REJECTED
    assert rfq.reason.startswith("max_notional")
    refused = await create_rfq(deps, ALICE, create("k2", instrument="USDJPY"))
    assert refused.reason == "entitlement: not entitled to trade USDJPY"
    async with deps.db.sessions() as s:
        assert only(await outbox_types(s), "RiskLimitBreached") == 2
    assert clock.armed == []


async def test_quotes_are_ranked_and_duplicates_recorded(deps: RfqDeps, clock: Clock) -> None:
    rfq = await quoting(deps, clock)
    assert rfq.state is RfqState.QUOTING
    assert [r.quote.lp_id for r in rfq.ranked(clock.now)] == ["lp-b", "lp-c", "lp-a"]
    await deliver(deps, "QuoteSubmitted", submitted(rfq.rfq_id, "lp-a", "1.0", clock))
    async with deps.db.sessions() as s:
        types = await outbox_types(s)
    assert (only(types, "QuoteReceived"), only(types, "QuoteDiscarded")) == (3, 1)


async def test_accept_is_idempotent_by_key_and_emits_one_quote_accepted(
    deps: RfqDeps, clock: Clock
) -> None:
    rfq = await quoting(deps, clock)
    cmd = AcceptQuote("acc-1", rfq.rfq_id, f"{rfq.rfq_id}/lp-b", rfq.version)
    accepted = await accept_quote(deps, ALICE, cmd)
    again = await accept_quote(deps, ALICE, cmd)
    assert accepted.state is again.state is RfqState.ACCEPTED
    async with deps.db.sessions() as s:
        assert only(await outbox_types(s), "QuoteAccepted") == 1
    with pytest.raises(RfqNotOpen):
        await accept_quote(
            deps, ALICE, AcceptQuote("acc-2", rfq.rfq_id, cmd.quote_id, accepted.version)
        )


async def test_stale_version_and_foreign_user_are_refused_and_audited(
    deps: RfqDeps, clock: Clock
) -> None:
    rfq = await quoting(deps, clock)
    quote_id = f"{rfq.rfq_id}/lp-b"
    with pytest.raises(VersionConflict):
        await accept_quote(deps, ALICE, AcceptQuote("a", rfq.rfq_id, quote_id, rfq.version - 1))
    with pytest.raises(NotRequester):
        await accept_quote(
            deps, Caller("t1", "mallory", "c"), AcceptQuote("b", rfq.rfq_id, quote_id, rfq.version)
        )
    chain = await audit_store.load_chain(deps.db, "t1")
    refusals = [r.entry.outcome for r in chain if r.entry.outcome.startswith("refused:")]
    assert refusals == ["refused:VERSION_CONFLICT", "refused:NOT_REQUESTER"]
    assert verify("t1", chain).ok


async def test_cancel_after_accept_is_a_clear_error(deps: RfqDeps, clock: Clock) -> None:
    rfq = await quoting(deps, clock)
    await accept_quote(deps, ALICE, AcceptQuote("a", rfq.rfq_id, f"{rfq.rfq_id}/lp-b", rfq.version))
    with pytest.raises(CancelAfterAccept, match="accepted"):
        await cancel_rfq(deps, ALICE, CancelRfq("c", rfq.rfq_id))


async def test_cancel_before_accept_closes_the_rfq(deps: RfqDeps, clock: Clock) -> None:
    rfq = await quoting(deps, clock)
    cancelled = await cancel_rfq(deps, ALICE, CancelRfq("c", rfq.rfq_id, "changed mind"))
    assert (cancelled.state, cancelled.reason) == (RfqState.CANCELLED, "changed mind")


async def test_last_look_rejection_reopens_then_trade_closes(deps: RfqDeps, clock: Clock) -> None:
    rfq = await quoting(deps, clock, last_look=True)
    best = f"{rfq.rfq_id}/lp-b"
    await accept_quote(deps, ALICE, AcceptQuote("a", rfq.rfq_id, best, rfq.version))
    await deliver(
        deps,
        "LastLookDecided",
        pb.LastLookDecided(
            rfq_id=rfq.rfq_id, quote_id=best, lp_id="lp-b", accepted=False, reason="drift"
        ),
    )
    reopened = await get_rfq(deps, "t1", rfq.rfq_id)
    assert reopened.state is RfqState.QUOTING
    second = f"{rfq.rfq_id}/lp-c"
    await accept_quote(deps, ALICE, AcceptQuote("b", rfq.rfq_id, second, reopened.version))
    await deliver(
        deps,
        "LastLookDecided",
        pb.LastLookDecided(rfq_id=rfq.rfq_id, quote_id=second, lp_id="lp-c", accepted=True),
    )
    trade = Trade(trade_id="trd-1", rfq_id=rfq.rfq_id, quote_id=second)
    for _ in range(2):  # a redelivered TradeExecuted changes nothing
        await deliver(deps, "TradeExecuted", TradeExecuted(trade=trade))
    done = await get_rfq(deps, "t1", rfq.rfq_id)
    assert (done.state, done.trade_id) == (RfqState.TRADED, "trd-1")
    async with deps.db.sessions() as s:
        types = await outbox_types(s)
    assert [
        only(types, t)
        for t in (
            "QuoteAcceptanceRequested",
            "QuoteAcceptanceRejected",
            "QuoteAccepted",
            "RfqTraded",
        )
    ] == [2, 1, 1, 1]


async def test_expiry_closes_open_rfq_and_timers_rearm_from_the_database(
    deps: RfqDeps, clock: Clock
) -> None:
    rfq = await quoting(deps, clock)
    other = await create_rfq(deps, ALICE, create("k2"))
    timers = ExpiryTimers(deps)
    assert await timers.rearm() == 2
    await timers.close()
    assert await expire_rfq(deps, "t1", rfq.rfq_id) is False
    clock.advance(10)
    with pytest.raises(RfqAlreadyExpired):
        await accept_quote(
            deps, ALICE, AcceptQuote("a", rfq.rfq_id, f"{rfq.rfq_id}/lp-b", rfq.version)
        )
    assert await expire_rfq(deps, "t1", rfq.rfq_id) is True
    assert await expire_rfq(deps, "t1", rfq.rfq_id) is False
    assert (await get_rfq(deps, "t1", rfq.rfq_id)).state is RfqState.EXPIRED
    assert (await get_rfq(deps, "t1", other.rfq_id)).state is RfqState.SENT


async def test_a_cancelled_rfq_needs_no_expiry_timer(deps: RfqDeps, clock: Clock) -> None:
    timers = ExpiryTimers(deps)
    deps.on_open, deps.on_close = timers.arm, timers.disarm
    rfq = await create_rfq(deps, ALICE, create())
    assert timers.armed == 1
    await cancel_rfq(deps, ALICE, CancelRfq("c", rfq.rfq_id))
    assert timers.armed == 0
    await timers.close()

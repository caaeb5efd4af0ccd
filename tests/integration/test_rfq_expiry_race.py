"""Expiry racing acceptance on the real PostgreSQL: one deterministic outcome per RFQ."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

import eventbus.consumer  # noqa: F401  (processed_events table)
import services.rfq.event_specs  # noqa: F401
from core.db import Database, create_database
from eventbus.outbox import decode_headers
from services.rfq.commands import AcceptQuote, Caller, CreateRfq
from services.rfq.errors import RfqNotOpen
from services.rfq.events import RfqState, Side
from services.rfq.handlers import RfqDeps, accept_quote, create_rfq, expire_rfq, get_rfq
from tests.integration.test_rfq_to_trade import TEST_DB
from tests.unit.rfq.service_fixtures import Clock, deliver, make_deps, submitted

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    await create_database(database_url, TEST_DB, exist_ok=True)
    database = Database.from_url(database_url.rsplit("/", 1)[0] + f"/{TEST_DB}", pool_size=10)
    await database.create_all()
    yield database
    await database.dispose()


async def _event_types(db: Database, tenant: str, rfq_id: str) -> list[str]:
    # A tenant's transaction: the outbox is under forced row-level security, the owner included.
    async with db.tenant_session(tenant) as session:
        conn = await session.connection()
        rows = (
            await conn.execute(
                text("SELECT headers FROM outbox_events WHERE key = :k ORDER BY id"),
                {"k": rfq_id.encode()},
            )
        ).all()
    return [dict(decode_headers(bytes(r[0])))["event_type"].decode() for r in rows]


async def _one_round(
    db: Database, tenant: str, timer_delay_s: float, accept_delay_s: float = 0.0
) -> tuple[RfqState, bool, list[str]]:
    clock = Clock()
    deps = make_deps(db, clock)
    caller = Caller(tenant, "alice", f"race-{uuid.uuid4().hex[:6]}")
    cmd = CreateRfq(uuid.uuid4().hex, "EURUSD", Side.BUY, Decimal("1000000"), timedelta(seconds=2))
    rfq = await create_rfq(deps, caller, cmd)
    await deliver(
        deps,
        "QuoteSubmitted",
        submitted(rfq.rfq_id, "lp-a", "1.1", clock, ttl_s=5),
        tenant=tenant,
    )
    version = (await get_rfq(deps, tenant, rfq.rfq_id)).version
    # The requester's clock is 1 ms before expiry, the timer's exactly at it: both are right.
    accepter = replace(deps, clock=Clock(rfq.expires_at - timedelta(milliseconds=1)))
    timer: RfqDeps = replace(deps, clock=Clock(rfq.expires_at))
    accept = AcceptQuote(uuid.uuid4().hex, rfq.rfq_id, f"{rfq.rfq_id}/lp-a", version)

    async def fire_timer() -> bool:
        await asyncio.sleep(timer_delay_s)
        return await expire_rfq(timer, tenant, rfq.rfq_id)

    async def send_accept() -> object:
        await asyncio.sleep(accept_delay_s)
        return await accept_quote(accepter, caller, accept)

    accepted, expired = await asyncio.gather(send_accept(), fire_timer(), return_exceptions=True)
    if isinstance(expired, BaseException):
        raise expired
    if isinstance(accepted, BaseException) and not isinstance(accepted, RfqNotOpen):
        raise accepted  # losing the race may only mean "the RFQ is closed"
    final = (await get_rfq(deps, tenant, rfq.rfq_id)).state
    won = not isinstance(accepted, BaseException)
    assert won != bool(expired), (accepted, expired)
    return final, won, await _event_types(db, tenant, rfq.rfq_id)


async def test_expiry_racing_accept_has_exactly_one_outcome(db: Database) -> None:
    tenant = f"race-{uuid.uuid4().hex[:8]}"
    # Staggering the timer by 0-11 ms lets either side reach the row first; which one does is up
    # to the scheduler, so two rounds with a clear head start make sure both outcomes are seen.
    outcomes = [await _one_round(db, tenant, i / 1000) for i in range(12)]
    outcomes.append(await _one_round(db, tenant, timer_delay_s=0.0, accept_delay_s=0.5))
    outcomes.append(await _one_round(db, tenant, timer_delay_s=0.5))
    assert outcomes[-2][1] is False, "the timer fired first, so the expiry must win"
    assert outcomes[-1][1] is True, "the accept came first, so it must win"
    for final, accept_won, types in outcomes:
        assert final is (RfqState.ACCEPTED if accept_won else RfqState.EXPIRED)
        assert types.count("QuoteAccepted") + types.count("RfqExpired") == 1, types
    assert {won for _final, won, _types in outcomes} == {True, False}, "both sides should win"

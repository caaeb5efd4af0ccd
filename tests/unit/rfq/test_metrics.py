"""RFQ metrics count committed events only: LP response, quotes by outcome, wins, final states."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from core.db import Database
from services.rfq.commands import AcceptQuote, Caller, CancelRfq, CreateRfq
from services.rfq.events import Side
from services.rfq.handlers import accept_quote, cancel_rfq, create_rfq
from tests.unit.rfq.service_fixtures import Clock, deliver, make_deps, submitted

ALICE = Caller("t1", "alice", "corr-m")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    await database.create_all()
    yield database
    await database.dispose()


async def test_quotes_wins_response_times_and_final_states_are_counted(db: Database) -> None:
    clock = Clock()
    deps = make_deps(db, clock)
    before = {
        "admitted": sample("orion_rfq_quotes_total", lp_id="lp-b", outcome="admitted"),
        "dup": sample("orion_rfq_quotes_total", lp_id="lp-b", outcome="duplicate"),
        "wins": sample("orion_rfq_lp_wins_total", lp_id="lp-b"),
        "resp": sample("orion_rfq_lp_response_seconds_count", lp_id="lp-b"),
        "cancelled": sample("orion_rfq_final_state_total", state="CANCELLED"),
    }
    cmd = CreateRfq("m1", "EURUSD", Side.BUY, Decimal("1000000"), timedelta(seconds=10))
    rfq = await create_rfq(deps, ALICE, cmd)
    clock.advance(0.02)
    await deliver(deps, "QuoteSubmitted", submitted(rfq.rfq_id, "lp-b", "1.1001", clock))
    await deliver(deps, "QuoteSubmitted", submitted(rfq.rfq_id, "lp-b", "1.1001", clock))
    await accept_quote(
        deps, ALICE, AcceptQuote("a", rfq.rfq_id, f"{rfq.rfq_id}/lp-b", rfq.version + 1)
    )
    other = await create_rfq(
        deps, ALICE, CreateRfq("m2", "EURUSD", Side.BUY, Decimal(1), timedelta(seconds=5))
    )
    await cancel_rfq(deps, ALICE, CancelRfq("c", other.rfq_id))
    assert (
        sample("orion_rfq_quotes_total", lp_id="lp-b", outcome="admitted") == before["admitted"] + 1
    )
    assert sample("orion_rfq_quotes_total", lp_id="lp-b", outcome="duplicate") == before["dup"] + 1
    assert sample("orion_rfq_lp_wins_total", lp_id="lp-b") == before["wins"] + 1
    assert sample("orion_rfq_lp_response_seconds_count", lp_id="lp-b") == before["resp"] + 1
    assert sample("orion_rfq_final_state_total", state="CANCELLED") == before["cancelled"] + 1


async def test_rolled_back_events_are_not_counted(db: Database) -> None:
    from services.rfq.domain import Rfq, RfqSpec
    from services.rfq.staging import stage

    clock = Clock()
    spec = RfqSpec("EURUSD", Side.BUY, Decimal(1), timedelta(seconds=5))
    rfq = Rfq.create(spec, "r-rollback", "t1", "alice", clock.now)
    rfq.reject_pre_trade("max_notional", "x", "1", "2", clock.now)
    before = sample("orion_rfq_final_state_total", state="REJECTED")
    async with db.sessions() as session:
        await session.begin()
        await stage(
            session, rfq, rfq.pull_events(), first_sequence=1, caller=ALICE, env="test", clock=clock
        )
        await session.rollback()
    assert sample("orion_rfq_final_state_total", state="REJECTED") == before

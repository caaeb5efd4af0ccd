"""On PostgreSQL, a consumer decision that loses the version race to a command is redone, and
the lost attempt leaves nothing behind: no outbox row, no audit record, no metric."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from core.db import Database
from eventbus.envelope import build_envelope
from services.audit import store as audit_store
from services.audit.chain import verify
from services.rfq.commands import Caller, CreateRfq
from services.rfq.consumers import apply_to_rfq
from services.rfq.domain import Rfq
from services.rfq.events import Side
from services.rfq.handlers import create_rfq, get_rfq
from services.rfq.mapping import quote_from_submitted
from services.rfq.metrics import _PENDING as PENDING_METRICS
from services.rfq.store import Loaded, RfqRepository
from tests.unit.rfq.service_fixtures import Clock, make_deps, only, outbox_types, submitted

pytestmark = pytest.mark.integration


async def test_a_consumer_decision_that_loses_the_race_leaves_nothing_of_the_lost_attempt(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    deps = make_deps(db, clock)
    create = CreateRfq("k1", "EURUSD", Side.BUY, Decimal("1000000"), timedelta(seconds=10))
    rfq = await create_rfq(deps, Caller("t1", "alice", "corr-1"), create)
    msg = submitted(rfq.rfq_id, "lp-a", "1.1001", clock)
    envelope = build_envelope(msg, sequence=1, tenant_id="t1", correlation_id="corr-1")
    quote = quote_from_submitted(msg, clock.now)
    attempts = 0
    real_save = RfqRepository.save

    async with deps.db.tenant_session("t1") as session, session.begin():

        async def save_losing_once(self: RfqRepository, loaded: Loaded, seq: int) -> None:
            if attempts == 1:  # another writer saved the RFQ after our read
                await (await session.connection()).execute(
                    text("UPDATE rfqs SET version = version + 100")
                )
            await real_save(self, loaded, seq)

        def decide(loaded: Rfq) -> object:
            nonlocal attempts
            attempts += 1
            return loaded.receive_quote(quote, clock.now)

        monkeypatch.setattr(RfqRepository, "save", save_losing_once)
        assert await apply_to_rfq(deps, session, envelope, rfq.rfq_id, "lp-a", decide)
        assert attempts == 2
        assert only(await outbox_types(session), "QuoteReceived") == 1
        staged = session.sync_session.info[PENDING_METRICS]  # counted at commit
        assert [type(e).__name__ for _, events in staged for e in events] == ["QuoteReceived"]

    assert len((await get_rfq(deps, "t1", rfq.rfq_id)).quotes) == 1
    chain = await audit_store.load_chain(deps.db, "t1")
    assert [r.entry.action for r in chain].count("QuoteReceived") == 1
    assert verify("t1", chain).ok

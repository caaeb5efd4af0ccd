"""On PostgreSQL the RFQ service applies a poll batch of inbound events in one go: one read of
the RFQs, one write of them all. Same outcomes as one event at a time: dedupe by quote id, late
quotes recorded, unknown RFQs ignored, contiguous entity sequences, an intact audit chain, and no
deadlock with commands writing the same RFQs at the same time."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

import services.execution.event_specs  # noqa: F401  (registers TradeExecuted)
from core.db import Database
from eventbus.bus import ConsumedRecord
from eventbus.envelope import DecodedEvent, build_envelope, decode, parse_envelope, to_record
from eventbus.outbox import decode_headers
from orion.execution.v1.execution_pb2 import Trade, TradeExecuted
from orion.rfq.v1 import events_pb2 as pb
from services.audit import store as audit_store
from services.audit.chain import verify
from services.rfq.commands import AcceptQuote, Caller, CancelRfq, CreateRfq
from services.rfq.consumers import consumer_spec
from services.rfq.errors import VersionConflict
from services.rfq.events import RfqState, Side
from services.rfq.handlers import RfqDeps, accept_quote, cancel_rfq, create_rfq, get_rfq
from services.rfq.timers import ExpiryTimers
from tests.unit.rfq.service_fixtures import Clock, make_deps, submitted

pytestmark = pytest.mark.integration


def _decoded(msg: pb.QuoteSubmitted, offset: int, tenant: str = "t1") -> DecodedEvent:
    envelope = build_envelope(msg, sequence=1, tenant_id=tenant, correlation_id=f"c-{offset}")
    record = to_record(envelope, env="test")
    consumed = ConsumedRecord(
        record.topic, 0, offset, record.key, record.value, record.headers
    )  # fmt: skip
    return decode(consumed)


async def _apply(deps: RfqDeps, events: Sequence[DecodedEvent], tenant: str = "t1") -> None:
    spec = consumer_spec(deps)
    assert spec.batch_handler is not None  # the Postgres path
    async with deps.db.tenant_session(tenant) as session, session.begin():
        await spec.batch_handler(events, session)


async def _outbox(db: Database, tenant: str, rfq_id: str) -> list[tuple[str, int]]:
    """(event type, entity sequence) of one RFQ's outbox rows, in insertion order."""
    async with db.tenant_session(tenant) as session:
        rows = await (await session.connection()).execute(
            text("SELECT headers, value FROM outbox_events ORDER BY id")
        )
        out = []
        for headers, value in rows:
            envelope = parse_envelope(bytes(value))
            if envelope.entity.id == rfq_id:
                kind = dict(decode_headers(bytes(headers)))["event_type"].decode()
                out.append((kind, envelope.entity.sequence))
        return out


async def _new(deps: RfqDeps, ttl_s: float = 10) -> str:
    cmd = CreateRfq("", "EURUSD", Side.BUY, Decimal("1000000"), timedelta(seconds=ttl_s))
    return (await create_rfq(deps, Caller("t1", "alice", "corr-1"), cmd)).rfq_id


async def test_a_batch_dedupes_records_late_quotes_and_keeps_sequences_and_chain(
    db: Database,
) -> None:
    clock = Clock()
    deps = make_deps(db, clock)
    r1, r2 = await _new(deps, ttl_s=10), await _new(deps, ttl_s=1)
    clock.advance(2)  # r2's expiry passed (its timer has not fired): its quotes are late
    batch = [
        _decoded(submitted(r1, "lp-a", "1.1001", clock), 0),
        _decoded(submitted(r2, "lp-a", "1.1002", clock), 1),
        _decoded(submitted(r1, "lp-b", "1.1003", clock), 2),
        _decoded(submitted(r1, "lp-a", "1.1001", clock), 3),  # same quote id, new event
        _decoded(submitted("no-such-rfq", "lp-a", "1.1", clock), 4),
    ]
    await _apply(deps, batch)

    first = await get_rfq(deps, "t1", r1)
    assert first.state is RfqState.QUOTING
    assert len(first.quotes) == 2
    assert len((await get_rfq(deps, "t1", r2)).quotes) == 0
    assert await _outbox(db, "t1", r1) == [
        ("RfqCreated", 1),
        ("RfqSent", 2),
        ("QuoteReceived", 3),
        ("QuoteReceived", 4),
        ("QuoteDiscarded", 5),
    ]
    assert [kind for kind, _ in await _outbox(db, "t1", r2)][-1] == "QuoteDiscarded"
    chain = await audit_store.load_chain(db, "t1")
    assert verify("t1", chain).ok
    assert [r.entry.action for r in chain].count("QuoteDiscarded") == 2
    reasons = {r.entry.reason for r in chain if r.entry.action == "QuoteDiscarded"}
    assert reasons == {"duplicate", "late"}


async def test_batches_and_commands_on_the_same_rfqs_at_once_do_not_deadlock(
    db: Database,
) -> None:
    clock = Clock()
    deps = make_deps(db, clock)
    ids = [await _new(deps) for _ in range(6)]
    await _apply(
        deps, [_decoded(submitted(r, "lp-a", "1.1001", clock), i) for i, r in enumerate(ids)]
    )
    alice = Caller("t1", "alice", "corr-2")
    # Commands accept while batches bring more quotes for the same RFQs (in opposite id order).
    versions = {r: (await get_rfq(deps, "t1", r)).version for r in ids}
    accepts = [
        accept_quote(deps, alice, AcceptQuote(f"k-{r}", r, f"{r}/lp-a", versions[r])) for r in ids
    ]
    batches = [
        _apply(deps, [_decoded(submitted(r, lp, "1.1", clock), 10 + i) for r in reversed(ids)])
        for i, lp in enumerate(("lp-b", "lp-c"))
    ]
    results = await asyncio.wait_for(
        asyncio.gather(*accepts, *batches, return_exceptions=True), timeout=30
    )
    # An accept that lost the version race to a batch is a clean VersionConflict, never a hang.
    assert all(not isinstance(r, BaseException) or isinstance(r, VersionConflict) for r in results)
    chain = await audit_store.load_chain(db, "t1")
    assert verify("t1", chain).ok
    for r in ids:
        sequences = [seq for _, seq in await _outbox(db, "t1", r)]
        assert sequences == list(range(1, len(sequences) + 1))


def _decoded_trade(rfq_id: str, quote_id: str, offset: int) -> DecodedEvent:
    trade = TradeExecuted(
        trade=Trade(trade_id=f"tr-{rfq_id}", tenant_id="t1", rfq_id=rfq_id, quote_id=quote_id)
    )
    envelope = build_envelope(trade, sequence=1, tenant_id="t1", correlation_id="c-t")
    record = to_record(envelope, env="test")
    return decode(ConsumedRecord(record.topic, 0, offset, record.key, record.value, record.headers))


async def test_rfqs_closed_by_a_command_or_a_committed_batch_need_no_expiry_timer(
    db: Database,
) -> None:
    clock = Clock()
    deps = make_deps(db, clock)
    timers = ExpiryTimers(deps)
    deps.on_open, deps.on_close = timers.arm, timers.disarm
    traded, cancelled, still_open = [await _new(deps) for _ in range(3)]
    assert timers.armed == 3
    await _apply(deps, [_decoded(submitted(traded, "lp-a", "1.1001", clock), 0)])
    version = (await get_rfq(deps, "t1", traded)).version
    alice = Caller("t1", "alice", "corr-3")
    await accept_quote(deps, alice, AcceptQuote("", traded, f"{traded}/lp-a", version))
    await cancel_rfq(deps, alice, CancelRfq("", cancelled))
    assert timers.armed == 2
    await _apply(deps, [_decoded_trade(traded, f"{traded}/lp-a", 1)])
    assert (await get_rfq(deps, "t1", traded)).state is RfqState.TRADED
    assert timers.armed == 1  # only `still_open` keeps its timer
    await timers.close()
    assert (await get_rfq(deps, "t1", still_open)).state is RfqState.SENT

"""Execution consumer on SQLite: exactly one trade per accepted quote, whatever the deliveries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

import services.execution.event_specs
import services.rfq.event_specs  # noqa: F401
from core.db import Database
from eventbus.bus import ConsumedRecord, ConsumerConfig, OutgoingRecord, RecordMetadata, TopicSpec
from eventbus.consumer import ConsumerRunner
from eventbus.envelope import build_envelope, to_record
from eventbus.outbox import outbox_signal
from orion.rfq.v1 import rfq_pb2
from orion.rfq.v1.events_pb2 import QuoteAccepted
from services.audit import store as audit_store
from services.execution.domain import trade_id_for
from services.execution.handlers import consumer_spec
from services.execution.store import trades_of_rfq

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class NullBus:
    """The runner needs a bus only for its DLQ; nothing here should be dead-lettered."""

    published: list[OutgoingRecord]

    def __init__(self) -> None:
        self.published = []

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None: ...

    async def publish(self, record: OutgoingRecord) -> RecordMetadata:
        self.published.append(record)
        return RecordMetadata(record.topic, 0, len(self.published))

    async def publish_batch(self, records: Sequence[OutgoingRecord]) -> list[RecordMetadata]:
        return [await self.publish(r) for r in records]

    def consumer(self, config: ConsumerConfig) -> object:
        raise NotImplementedError


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'exec.db'}")
    await database.create_all()
    yield database
    await database.dispose()


def accepted_record(offset: int, quote_id: str = "q-1") -> ConsumedRecord:
    quote = rfq_pb2.Quote(
        quote_id=quote_id, rfq_id="rfq-1", lp_id="lp-a", price="1.10020", quantity="1000000"
    )
    msg = QuoteAccepted(
        rfq_id="rfq-1",
        quote=quote,
        requester_id="alice",
        instrument_id="EURUSD",
        side=rfq_pb2.SIDE_SELL,
    )
    msg.accepted_at.FromDatetime(T0)
    envelope = build_envelope(msg, sequence=5, tenant_id="t1", correlation_id="corr-x")
    out = to_record(envelope, env="test")
    return ConsumedRecord(out.topic, 0, offset, out.key, out.value, out.headers)


async def _count(db: Database, table: str) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608


async def test_accepted_quote_becomes_one_trade_and_one_trade_executed(db: Database) -> None:
    bus = NullBus()
    runner = ConsumerRunner(consumer_spec("test", lambda: T0), bus, env="test", db=db)  # type: ignore[arg-type]
    first = accepted_record(0)
    await runner.process_batch([first])
    await runner.process_batch([first])  # the same record redelivered
    await runner.process_batch([accepted_record(1), accepted_record(2)])  # re-published copies
    async with db.sessions() as session:
        [trade] = await trades_of_rfq(session, "t1", "rfq-1")
    assert trade.trade_id == trade_id_for("t1", "rfq-1", "q-1")
    assert (trade.buyer_id, trade.seller_id) == ("lp-a", "alice")
    assert str(trade.price) == "1.1002"
    assert await _count(db, "trades") == 1
    assert await _count(db, "outbox_events") == 1
    assert runner.duplicates == 1
    assert bus.published == []
    [audit] = await audit_store.by_correlation(db, "corr-x")
    assert (audit.entry.action, audit.entry.entity_id) == ("TradeExecuted", trade.trade_id)


async def test_another_quote_of_the_same_rfq_is_another_trade(db: Database) -> None:
    runner = ConsumerRunner(consumer_spec("test", lambda: T0), NullBus(), env="test", db=db)  # type: ignore[arg-type]
    await runner.process_batch([accepted_record(0, "q-1"), accepted_record(1, "q-2")])
    assert await _count(db, "trades") == 2


async def test_a_committed_trade_wakes_the_processs_relay(db: Database) -> None:
    runner = ConsumerRunner(consumer_spec("test", lambda: T0), NullBus(), env="test", db=db)  # type: ignore[arg-type]
    waiter = outbox_signal.subscribe()
    try:
        await runner.process_batch([accepted_record(0)])
        assert waiter.is_set()
        waiter.clear()
        await runner.process_batch([accepted_record(0)])  # a duplicate writes no outbox row
        assert not waiter.is_set()
    finally:
        outbox_signal.unsubscribe(waiter)


async def test_one_batch_of_acceptances_is_one_trade_and_one_fact_per_quote(db: Database) -> None:
    runner = ConsumerRunner(consumer_spec("test", lambda: T0), NullBus(), env="test", db=db)  # type: ignore[arg-type]
    batch = [accepted_record(0, "q-1"), accepted_record(1, "q-2"), accepted_record(2, "q-1")]
    await runner.process_batch(batch)  # the third is a re-published copy of the first
    assert await _count(db, "trades") == 2
    assert await _count(db, "outbox_events") == 2
    actions = [r.entry.action for r in await audit_store.by_correlation(db, "corr-x")]
    assert actions == ["TradeExecuted", "TradeExecuted"]

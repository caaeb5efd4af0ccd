"""rm_rfq_blotter and rm_trade_blotter: folded from the real outbox, idempotent, rebuildable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

import services.execution.event_specs  # noqa: F401
from core.db import Database
from eventbus.bus import ConsumedRecord
from eventbus.envelope import DecodedEvent, build_envelope, decode, to_record
from eventbus.outbox import decode_headers
from eventbus.readmodel import MemoryReadModelStore, Stored, checksum
from orion.execution.v1.execution_pb2 import Trade, TradeExecuted
from services.execution import projections as trade_blotter
from services.rfq import projections as rfq_blotter
from services.rfq.commands import AcceptQuote, Caller, CreateRfq
from services.rfq.events import Side
from services.rfq.handlers import accept_quote, create_rfq
from tests.unit.rfq.service_fixtures import Clock, deliver, make_deps, submitted

ALICE = Caller("t1", "alice", "corr-p")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    await database.create_all()
    yield database
    await database.dispose()


async def outbox_events(db: Database) -> list[DecodedEvent]:
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT topic, key, value, headers FROM outbox_events ORDER BY id")
            )
        ).all()
    return [
        decode(ConsumedRecord(t, 0, i, bytes(k), bytes(v), decode_headers(bytes(h))))
        for i, (t, k, v, h) in enumerate(rows)
    ]


def as_decoded(payload: TradeExecuted) -> DecodedEvent:
    envelope = build_envelope(payload, sequence=1, tenant_id="t1", correlation_id="corr-p")
    out = to_record(envelope, env="test")
    return decode(ConsumedRecord(out.topic, 0, 0, out.key, out.value, out.headers))


async def a_traded_rfq(db: Database) -> tuple[str, DecodedEvent]:
    clock = Clock()
    deps = make_deps(db, clock)
    cmd = CreateRfq("k", "EURUSD", Side.SELL, Decimal("1000000"), timedelta(seconds=10))
    rfq = await create_rfq(deps, ALICE, cmd)
    for lp, px in (("lp-a", "1.0998"), ("lp-b", "1.0999"), ("lp-c", "1.0997")):
        quote = submitted(rfq.rfq_id, lp, px, clock)
        await deliver(deps, "QuoteSubmitted", quote, correlation="corr-p")
    quote_id = f"{rfq.rfq_id}/lp-b"
    await accept_quote(deps, ALICE, AcceptQuote("a", rfq.rfq_id, quote_id, rfq.version + 3))
    trade = TradeExecuted(
        trade=Trade(
            trade_id="trd-9",
            tenant_id="t1",
            rfq_id=rfq.rfq_id,
            quote_id=quote_id,
            price="1.0999",
            quantity="1000000",
        )
    )
    await deliver(deps, "TradeExecuted", trade, correlation="corr-p")
    return rfq.rfq_id, as_decoded(trade)


async def project_all(events: list[DecodedEvent], store: MemoryReadModelStore) -> None:
    for event in events:
        await rfq_blotter.project(event.envelope, event.payload, store)
        await trade_blotter.project(event.envelope, event.payload, store)


async def test_blotters_show_the_rfq_and_its_trade(db: Database) -> None:
    rfq_id, trade_event = await a_traded_rfq(db)
    store = MemoryReadModelStore()
    await project_all([*await outbox_events(db), trade_event], store)
    stored = await store.get(rfq_blotter.MODEL, rfq_blotter.blotter_key("t1", rfq_id))
    assert stored is not None
    row = orjson.loads(stored.value)
    assert (row["state"], row["side"], row["quote_count"]) == ("TRADED", "SELL", 3)
    assert (row["best_price"], row["best_lp_id"]) == ("1.0999", "lp-b")
    assert (row["trade_id"], row["correlation_id"]) == ("trd-9", "corr-p")
    assert row["accepted_quote_id"] == f"{rfq_id}/lp-b"
    trade = await store.get(trade_blotter.MODEL, trade_blotter.blotter_key("t1", "trd-9"))
    assert trade is not None
    assert orjson.loads(trade.value)["correlation_id"] == "corr-p"


async def test_redelivery_and_rebuild_give_byte_identical_models(db: Database) -> None:
    _rfq_id, trade_event = await a_traded_rfq(db)
    events = [*await outbox_events(db), trade_event]
    live = MemoryReadModelStore()
    await project_all(events, live)
    before = checksum(await live.entries(rfq_blotter.MODEL))
    await project_all(events[::-1], live)  # every event again, newest first
    assert checksum(await live.entries(rfq_blotter.MODEL)) == before
    rebuilt = MemoryReadModelStore()
    await project_all(events, rebuilt)
    for model in (rfq_blotter.MODEL, trade_blotter.MODEL):
        assert checksum(await rebuilt.entries(model)) == checksum(await live.entries(model))


def test_both_blotters_are_registered_for_replay() -> None:
    from eventbus.replay import read_models

    models = read_models()
    assert models[rfq_blotter.MODEL].topics == ("rfq.lifecycle.v1",)
    assert models[trade_blotter.MODEL].topics == ("execution.trades.v1",)


class CountingStore(MemoryReadModelStore):
    """The in-memory store, counting reads (each is a Redis round trip on the real store)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def get(self, model: str, key: str, generation: str | None = None) -> Stored | None:
        self.reads += 1
        return await super().get(model, key, generation)


async def test_the_next_event_of_a_row_this_process_wrote_is_folded_without_a_read(
    db: Database,
) -> None:
    rfq_id, _ = await a_traded_rfq(db)
    events = [e for e in await outbox_events(db) if e.envelope.entity.id == rfq_id]
    cached, plain = CountingStore(), MemoryReadModelStore()
    for event in events:
        await rfq_blotter.project(event.envelope, event.payload, cached)
    await project_all(events, plain)
    assert cached.reads == 1  # only the first event of the RFQ reads the store
    assert checksum(await cached.entries(rfq_blotter.MODEL)) == checksum(
        await plain.entries(rfq_blotter.MODEL)
    )


async def test_a_row_stored_by_someone_else_is_read_again_and_never_overwritten(
    db: Database,
) -> None:
    rfq_id, _ = await a_traded_rfq(db)
    first, second, third, *_ = [
        e for e in await outbox_events(db) if e.envelope.entity.id == rfq_id
    ]
    store = CountingStore()
    key = rfq_blotter.blotter_key("t1", rfq_id)
    await rfq_blotter.project(first.envelope, first.payload, store)
    # Another projector (another process, a rebuild) stored sequence 2 and 3 meanwhile.
    await store.apply(rfq_blotter.MODEL, key, third.envelope.entity.sequence, b'{"x": 1}')
    await rfq_blotter.project(second.envelope, second.payload, store)  # refused: older
    await rfq_blotter.project(third.envelope, third.payload, store)  # read again: a repeat
    stored = await store.get(rfq_blotter.MODEL, key)
    assert stored is not None
    assert stored.value == b'{"x": 1}'
    assert store.reads == 3  # the first event, the one after the refusal, and this check

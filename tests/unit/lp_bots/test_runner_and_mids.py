"""LP bot process logic without a broker: which events it answers, with what, and when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import services.execution.event_specs
import services.rfq.event_specs  # noqa: F401
from eventbus.bus import ConsumedRecord, ConsumerConfig, OutgoingRecord, RecordMetadata, TopicSpec
from eventbus.envelope import DecodedEvent, build_envelope, decode, to_record
from eventbus.readmodel import MemoryReadModelStore
from orion.execution.v1.execution_pb2 import Trade, TradeExecuted
from orion.marketdata.v1.events_pb2 import MarketTickReceived
from orion.rfq.v1 import events_pb2 as pb
from orion.rfq.v1 import rfq_pb2
from services.lp_bots.bot import LpBot
from services.lp_bots.config import DelayModel, LastLookRule, LpConfig
from services.lp_bots.mids import SNAPSHOT_MODEL, MidBoard
from services.lp_bots.runner import LpBotService

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MIDS = {"FX.EURUSD": Decimal("1.10000")}


class RecordingBus:
    def __init__(self) -> None:
        self.records: list[OutgoingRecord] = []

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None: ...

    async def publish(self, record: OutgoingRecord) -> RecordMetadata:
        self.records.append(record)
        return RecordMetadata(record.topic, 0, len(self.records))

    async def publish_batch(self, records: Sequence[OutgoingRecord]) -> list[RecordMetadata]:
        return [await self.publish(r) for r in records]

    def consumer(self, config: ConsumerConfig) -> object:
        raise NotImplementedError

    def decoded(self) -> list[DecodedEvent]:
        return [
            decode(ConsumedRecord(r.topic, 0, i, r.key, r.value, r.headers))
            for i, r in enumerate(self.records)
        ]


def as_event(payload: object) -> DecodedEvent:
    envelope = build_envelope(payload, sequence=1, tenant_id="t1", correlation_id="c1")  # type: ignore[arg-type]
    out = to_record(envelope, env="test")
    return decode(ConsumedRecord(out.topic, 0, 0, out.key, out.value, out.headers))


def service(bus: RecordingBus, last_look: bool = False) -> LpBotService:
    rule = LastLookRule(hold=timedelta(0), max_drift_bps=Decimal("1")) if last_look else None
    bots = [
        LpBot(
            LpConfig(f"lp-{c}", delay=DelayModel(timedelta(0), floor=timedelta(0)), last_look=rule)
        )
        for c in "ab"
    ]
    return LpBotService(bots, bus, env="test", mids=MIDS.get, clock=lambda: T0)  # type: ignore[arg-type]


def rfq_sent(lps: Sequence[str]) -> pb.RfqSent:
    msg = pb.RfqSent(
        rfq_id="r1",
        lp_ids=list(lps),
        instrument_id="FX.EURUSD",
        side=rfq_pb2.SIDE_BUY,
        quantity="1000000",
    )
    msg.expires_at.FromDatetime(T0 + timedelta(seconds=10))
    return msg


async def test_only_routed_lps_quote_and_quote_ids_are_stable() -> None:
    bus = RecordingBus()
    lp = service(bus)
    lp.handle(as_event(rfq_sent(["lp-a", "lp-zzz"])))
    await lp.drain()
    [quote] = bus.decoded()
    assert quote.envelope.event_type == "QuoteSubmitted"
    assert (quote.payload.lp_id, quote.payload.price) == ("lp-a", "1.10017")
    assert (quote.envelope.tenant_id, quote.envelope.correlation_id) == ("t1", "c1")
    lp.handle(as_event(rfq_sent(["lp-a"])))
    await lp.drain()
    assert bus.decoded()[1].payload.quote_id == quote.payload.quote_id


async def test_last_look_answers_for_its_own_quotes_only() -> None:
    bus = RecordingBus()
    lp = service(bus, last_look=True)
    lp.handle(as_event(rfq_sent(["lp-a", "lp-b"])))
    await lp.drain()
    quote = bus.decoded()[0].payload
    requested = pb.QuoteAcceptanceRequested(
        rfq_id="r1", quote=rfq_pb2.Quote(quote_id=quote.quote_id, rfq_id="r1", lp_id=quote.lp_id)
    )
    requested.requested_at.FromDatetime(T0)
    lp.handle(as_event(requested))
    MIDS["FX.EURUSD"] = Decimal("1.10100")  # mid ran 9 bps against the LP
    try:
        lp.handle(as_event(requested))
    finally:
        MIDS["FX.EURUSD"] = Decimal("1.10000")
    foreign = pb.QuoteAcceptanceRequested(rfq_id="r1", quote=rfq_pb2.Quote(lp_id="lp-other"))
    lp.handle(as_event(foreign))
    await lp.drain()
    decisions = [e.payload for e in bus.decoded() if e.envelope.event_type == "LastLookDecided"]
    assert [(d.quote_id, d.accepted) for d in decisions] == [
        (quote.quote_id, True),
        (quote.quote_id, False),
    ]
    assert decisions[1].reason == "price drift 9.09 bps above 1 bps"


async def test_trades_move_the_lps_inventory() -> None:
    lp = service(RecordingBus())
    trade = Trade(
        trade_id="x",
        lp_id="lp-b",
        instrument_id="FX.EURUSD",
        side=rfq_pb2.SIDE_SELL,
        quantity="2000000",
    )
    lp.handle(as_event(TradeExecuted(trade=trade)))
    assert lp.bots["lp-b"].position("FX.EURUSD") == Decimal("2000000")
    assert lp.bots["lp-a"].position("FX.EURUSD") == Decimal(0)


async def test_mid_board_prefers_live_snapshot_mids_over_reference() -> None:
    store = MemoryReadModelStore()
    board = MidBoard({"FX.EURUSD": Decimal("1.0"), "FX.GBPUSD": Decimal("1.2")}, store)
    tick = MarketTickReceived(instrument_id="FX.EURUSD", mid="1.08512")
    await store.apply(SNAPSHOT_MODEL, "FX.EURUSD", 1, tick.SerializeToString())
    assert await board.refresh() == 1
    assert board("FX.EURUSD") == Decimal("1.08512")
    assert board("FX.GBPUSD") == Decimal("1.2")
    assert board("FX.NOPE") is None


def test_mid_board_refreshes_slowly_only_while_no_mid_is_asked_for() -> None:
    now = [0.0]
    board = MidBoard({}, None, interval_s=0.25, idle_interval_s=1.0, clock=lambda: now[0])
    assert board.next_interval() == 0.25  # just built: treated as busy
    now[0] = 1.5
    assert board.next_interval() == 1.0
    board("FX.EURUSD")
    assert board.next_interval() == 0.25
    assert MidBoard({}, None, interval_s=0.5).next_interval() == 0.5  # no idle interval given


async def test_mid_board_rounds_copy_asked_instruments_between_full_copies() -> None:
    store = MemoryReadModelStore()
    now = [0.0]
    board = MidBoard({}, store, full_every_s=5.0, clock=lambda: now[0])

    async def tick(instrument_id: str, mid: str, seq: int) -> None:
        value = MarketTickReceived(instrument_id=instrument_id, mid=mid).SerializeToString()
        await store.apply(SNAPSHOT_MODEL, instrument_id, seq, value)

    await tick("FX.EURUSD", "1.1", 1)
    await tick("FX.GBPUSD", "1.2", 1)
    await board.refresh_round()  # the first round is a full copy
    assert (board("FX.EURUSD"), board("FX.GBPUSD")) == (Decimal("1.1"), Decimal("1.2"))
    board._asked.discard("FX.GBPUSD")  # as if only EURUSD had been asked for
    await tick("FX.EURUSD", "1.11", 2)
    await tick("FX.GBPUSD", "1.22", 2)
    now[0] = 1.0
    await board.refresh_round()  # between full copies: only the asked instrument
    assert board._live == {"FX.EURUSD": Decimal("1.11"), "FX.GBPUSD": Decimal("1.2")}
    now[0] = 5.0
    await board.refresh_round()  # full copy due again
    assert board._live["FX.GBPUSD"] == Decimal("1.22")

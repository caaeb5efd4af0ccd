"""Ingestion pipeline: bad quotes counted not raised, staleness events, bus records, snapshot."""

from __future__ import annotations

from collections.abc import Sequence

from eventbus.bus import (
    ConsumedRecord,
    Consumer,
    ConsumerConfig,
    OutgoingRecord,
    RecordMetadata,
    TopicSpec,
)
from eventbus.envelope import decode
from eventbus.readmodel import MemoryReadModelStore, Stored
from orion.marketdata.v1.events_pb2 import MarketDataStaleDetected, MarketTickReceived
from services.marketdata.connectors import MockVendorAdapter
from services.marketdata.domain.clock import ManualClock
from services.marketdata.domain.instruments import instrument_map
from services.marketdata.domain.normaliser import Normaliser
from services.marketdata.domain.staleness import StalenessDetector, StaleState, StaleTransition
from services.marketdata.domain.tick import CanonicalTick
from services.marketdata.ingest import Ingest
from services.marketdata.publisher import BusPublisher
from services.marketdata.snapshot import SnapshotReader, project_tick

S = 1_000_000_000
SYMBOLS = {"EUR/USD": "FX.EURUSD", "USD/JPY": "FX.USDJPY"}


class RecordingSink:
    def __init__(self) -> None:
        self.ticks: list[CanonicalTick] = []
        self.transitions: list[StaleTransition] = []

    async def publish_tick(self, tick: CanonicalTick) -> None:
        self.ticks.append(tick)

    async def publish_transition(self, transition: StaleTransition, threshold_ns: int) -> None:
        self.transitions.append(transition)


class ListBus:
    """Minimal in-memory bus for unit tests: keeps what was published, in order."""

    def __init__(self) -> None:
        self.records: list[OutgoingRecord] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None: ...

    async def publish(self, record: OutgoingRecord) -> RecordMetadata:
        return (await self.publish_batch([record]))[0]

    async def publish_batch(self, records: Sequence[OutgoingRecord]) -> list[RecordMetadata]:
        start = len(self.records)
        self.records.extend(records)
        return [RecordMetadata(r.topic, 0, start + n) for n, r in enumerate(records)]

    def consumer(self, config: ConsumerConfig) -> Consumer:
        raise NotImplementedError


def _ingest(messages: list[object], clock: ManualClock, sink: RecordingSink) -> Ingest:
    instruments = instrument_map()
    feed = MockVendorAdapter(messages, SYMBOLS, clock, interval_ns=S // 10)
    detector = StalenessDetector(2 * S, ["FX.EURUSD", "FX.USDJPY"], clock.now_ns())
    return Ingest(feed, Normaliser(instruments), detector, sink, clock)


async def test_mock_vendor_feed_with_garbage_never_crashes_and_counts_drops() -> None:
    clock = ManualClock()
    t_ms = clock.now_ns() // 1_000_000
    messages: list[object] = [
        {"sym": "EUR/USD", "px": {"b": 1.085, "a": 1.08504}, "t_ms": t_ms},
        {"sym": "EUR/USD", "px": {"b": "oops", "a": 1.1}, "t_ms": t_ms},
        {"sym": "GBP/XXX", "px": {"b": 1.0, "a": 1.1}, "t_ms": t_ms},
        {"sym": "EUR/USD", "px": "broken"},
        12345,
        {"sym": "USD/JPY", "px": {"b": 151.25, "a": 151.2}, "t_ms": t_ms},
        {"sym": "EUR/USD", "px": {"b": 1.08501, "a": 1.08505}, "t_ms": t_ms - 50},
    ]
    sink = RecordingSink()
    ingest = _ingest(messages, clock, sink)
    await ingest.run()
    assert ingest.received == len(messages)
    assert [t.sequence for t in sink.ticks] == [1, 2]
    assert sink.ticks[1].late
    assert dict(ingest.normaliser.dropped) == {
        "bad_price": 1,
        "unknown_instrument": 1,
        "bad_instrument": 1,
        "not_a_mapping": 1,
        "crossed": 1,
    }


async def test_silence_publishes_stale_then_recovered() -> None:
    clock = ManualClock()
    sink = RecordingSink()
    ingest = _ingest([], clock, sink)
    raw = {"instrument": "FX.EURUSD", "bid": "1.1", "ask": "1.2", "ts": clock.now_ns()}
    await ingest.on_raw(raw)
    clock.advance(3 * S)
    stale = await ingest.check_staleness()
    assert {(t.instrument_id, t.state) for t in stale} == {
        ("FX.EURUSD", StaleState.STALE),
        ("FX.USDJPY", StaleState.STALE),
    }
    assert await ingest.check_staleness() == []
    await ingest.on_raw({**raw, "ts": clock.now_ns()})
    assert [(t.instrument_id, t.state) for t in sink.transitions][-1] == (
        "FX.EURUSD",
        StaleState.RECOVERED,
    )


async def test_publisher_writes_enveloped_ticks_keyed_by_instrument_in_order() -> None:
    bus = ListBus()
    publisher = BusPublisher(bus, "test", max_batch=7)
    await publisher.start()
    norm = Normaliser(instrument_map())
    for n in range(50):
        iid = "FX.EURUSD" if n % 2 else "FX.USDJPY"
        bid, ask = ("1.1", "1.2") if n % 2 else ("151.1", "151.2")
        tick = norm.normalise({"instrument": iid, "bid": bid, "ask": ask, "ts": n + 1}, n + 1)
        assert tick is not None
        await publisher.publish_tick(tick)
    transition = StaleTransition("FX.EURUSD", StaleState.STALE, 1, 5 * S)
    await publisher.publish_transition(transition, 2 * S)
    await publisher.stop()
    assert len(bus.records) == 51
    ticks = [r for r in bus.records if r.topic == "test.marketdata.ticks.v1"]
    assert {r.key for r in ticks} == {b"FX.EURUSD", b"FX.USDJPY"}
    decoded = [
        decode(ConsumedRecord(r.topic, 0, n, r.key, r.value, r.headers))
        for n, r in enumerate(ticks)
    ]
    eur = [d.payload.sequence for d in decoded if d.payload.instrument_id == "FX.EURUSD"]
    assert eur == list(range(1, 26))
    assert all(d.envelope.entity.sequence == d.payload.sequence for d in decoded)
    status = bus.records[-1]
    assert status.topic == "test.marketdata.status.v1"
    payload = decode(ConsumedRecord(status.topic, 0, 0, status.key, status.value)).payload
    assert isinstance(payload, MarketDataStaleDetected)
    assert payload.threshold_ms == 2_000


async def test_projector_keeps_newest_tick_and_ignores_late_and_replayed_ones() -> None:
    store = MemoryReadModelStore()
    from orion.common.v1.envelope_pb2 import Envelope

    env = Envelope()
    for seq, bid, late in [
        (1, "1.1", False),
        (3, "1.3", False),
        (2, "1.2", False),
        (4, "1.0", True),
    ]:
        tick = MarketTickReceived(instrument_id="FX.EURUSD", bid=bid, sequence=seq, late=late)
        await project_tick(env, tick, store)
    result = await SnapshotReader(store).read(["FX.EURUSD", "FX.GBPUSD"])
    assert result.available
    assert [(t.bid, t.sequence) for t in result.ticks] == [("1.3", 3)]
    assert result.missing == ["FX.GBPUSD"]


class DownStore(MemoryReadModelStore):
    async def active_generation(self, model: str) -> str:
        raise ConnectionRefusedError("redis is down")

    async def get(self, model: str, key: str, generation: str | None = None) -> Stored | None:
        raise ConnectionRefusedError("redis is down")


async def test_snapshot_reader_reports_unavailable_instead_of_failing() -> None:
    result = await SnapshotReader(DownStore()).read(["FX.EURUSD"])
    assert not result.available
    assert result.reason.startswith("snapshot unavailable")


async def test_simulated_feed_sleeps_until_each_quote_is_due_and_stops_on_close() -> None:
    from services.marketdata.connectors import SimulatedFeed
    from services.marketdata.domain.instruments import SEEDED_INSTRUMENTS
    from services.marketdata.domain.simulator import QuoteSimulator

    clock = ManualClock(start_ns=0)
    feed = SimulatedFeed(QuoteSimulator(0, SEEDED_INSTRUMENTS[:3]), clock)
    seen: list[int] = []
    async for quote in feed.quotes():
        assert isinstance(quote, dict)
        seen.append(int(quote["ts"]))
        assert int(quote["ts"]) <= clock.now_ns()
        if len(seen) == 50:
            await feed.close()
    assert len(seen) == 50
    assert seen == sorted(seen)
    assert clock.sleeps, "the feed waited on the injected clock"

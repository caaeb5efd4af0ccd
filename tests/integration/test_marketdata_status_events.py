"""Feed health on real Kafka: a silent instrument publishes MarketDataStaleDetected, then
MarketDataRecovered when it ticks again, keyed by instrument on marketdata.status.v1."""

from __future__ import annotations

import uuid

import pytest

from eventbus.bus import ConsumerConfig
from eventbus.envelope import decode
from eventbus.kafka import KafkaBus
from eventbus.topics import ensure_topics, topic_name
from orion.marketdata.v1.events_pb2 import MarketDataRecovered, MarketDataStaleDetected
from services.marketdata.connectors import MockVendorAdapter
from services.marketdata.domain.clock import ManualClock
from services.marketdata.domain.instruments import instrument_map
from services.marketdata.domain.normaliser import Normaliser
from services.marketdata.domain.staleness import StalenessDetector
from services.marketdata.ingest import Ingest
from services.marketdata.publisher import BusPublisher

pytestmark = pytest.mark.integration
S = 1_000_000_000


async def test_stale_and_recovered_events_reach_the_status_topic(kafka_bootstrap: str) -> None:
    env = f"it{uuid.uuid4().hex[:8]}"
    bus = KafkaBus(kafka_bootstrap, client_id="md-status-test")
    await bus.start()
    try:
        await ensure_topics(bus, env)
        publisher = BusPublisher(bus, env)
        await publisher.start()
        clock = ManualClock()
        detector = StalenessDetector(2 * S, ["FX.EURUSD"], clock.now_ns())
        ingest = Ingest(
            MockVendorAdapter([], {}, clock),
            Normaliser(instrument_map()),
            detector,
            publisher,
            clock,
        )
        quote = {"instrument": "FX.EURUSD", "bid": "1.1", "ask": "1.2"}
        await ingest.on_raw({**quote, "ts": clock.now_ns()})
        clock.advance(3 * S)
        assert len(await ingest.check_staleness()) == 1
        await ingest.on_raw({**quote, "ts": clock.now_ns()})
        await publisher.stop()
        consumer = bus.consumer(
            ConsumerConfig(group_id=f"t-{env}", topics=[topic_name("marketdata.status.v1", env)])
        )
        await consumer.start()
        events = []
        for _ in range(50):
            events += [decode(r) for r in await consumer.poll(timeout_ms=500)]
            if len(events) >= 2:
                break
        await consumer.stop()
    finally:
        await bus.stop()
    assert [type(e.payload) for e in events] == [MarketDataStaleDetected, MarketDataRecovered]
    stale = events[0].payload
    assert (stale.instrument_id, stale.threshold_ms) == ("FX.EURUSD", 2_000)
    assert stale.detected_ns - stale.last_tick_ns == 3 * S
    assert all(e.record.key == b"FX.EURUSD" for e in events)
    assert [e.envelope.entity.sequence for e in events] == [1, 2]

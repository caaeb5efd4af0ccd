"""Market-data events (ticks, stale, recovered) registered with the bus, and their mapping."""

from __future__ import annotations

from decimal import Decimal

from eventbus.registry import EventSpec, key_field, register
from orion.marketdata.v1.events_pb2 import (
    MarketDataRecovered,
    MarketDataStaleDetected,
    MarketTickReceived,
)
from services.marketdata.domain.staleness import StaleState, StaleTransition
from services.marketdata.domain.tick import CanonicalTick, Quality

PRODUCER = "marketdata-ingest"
# Market data is shared by every tenant: it travels under the platform's own tenant id.
MARKETDATA_TENANT = "platform"

MARKET_TICK_RECEIVED = register(
    EventSpec(
        event_type="MarketTickReceived",
        version=1,
        message=MarketTickReceived,
        topic="marketdata.ticks.v1",
        partition_key=key_field("instrument_id"),
        producer=PRODUCER,
        entity_type="Instrument",
        consumers=("marketdata-snapshot-projector", "bff-streaming"),
        description="A normalised quote; published straight to the log (no DB write first).",
        key_name="instrument_id",
    )
)

MARKET_DATA_STALE_DETECTED = register(
    EventSpec(
        event_type="MarketDataStaleDetected",
        version=1,
        message=MarketDataStaleDetected,
        topic="marketdata.status.v1",
        partition_key=key_field("instrument_id"),
        producer=PRODUCER,
        entity_type="InstrumentFeed",
        consumers=("bff-streaming",),
        description="No tick for an instrument within the staleness threshold.",
        key_name="instrument_id",
    )
)

MARKET_DATA_RECOVERED = register(
    EventSpec(
        event_type="MarketDataRecovered",
        version=1,
        message=MarketDataRecovered,
        topic="marketdata.status.v1",
        partition_key=key_field("instrument_id"),
        producer=PRODUCER,
        entity_type="InstrumentFeed",
        consumers=("bff-streaming",),
        description="A stale instrument ticked again.",
        key_name="instrument_id",
    )
)


def tick_to_proto(tick: CanonicalTick) -> MarketTickReceived:
    return MarketTickReceived(
        instrument_id=tick.instrument_id,
        bid=str(tick.bid),
        ask=str(tick.ask),
        mid=str(tick.mid),
        source_ts_ns=tick.source_ts_ns,
        receive_ts_ns=tick.receive_ts_ns,
        source=tick.source,
        quality_flags=int(tick.quality),
        late=tick.late,
        sequence=tick.sequence,
    )


def tick_from_proto(msg: MarketTickReceived) -> CanonicalTick:
    return CanonicalTick(
        instrument_id=msg.instrument_id,
        bid=Decimal(msg.bid),
        ask=Decimal(msg.ask),
        mid=Decimal(msg.mid),
        source_ts_ns=msg.source_ts_ns,
        receive_ts_ns=msg.receive_ts_ns,
        source=msg.source,
        quality=Quality(msg.quality_flags),
        sequence=msg.sequence,
    )


def transition_to_proto(
    transition: StaleTransition, threshold_ns: int
) -> MarketDataStaleDetected | MarketDataRecovered:
    if transition.state is StaleState.STALE:
        return MarketDataStaleDetected(
            instrument_id=transition.instrument_id,
            last_tick_ns=transition.last_tick_ns,
            detected_ns=transition.detected_ns,
            threshold_ms=threshold_ns // 1_000_000,
        )
    return MarketDataRecovered(
        instrument_id=transition.instrument_id, recovered_ns=transition.detected_ns
    )

"""GraphQL types of market data (names match bff/streaming/model.py's field lists)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from bff.streaming.model import Frame, HubTick, quality_label, source_time


@strawberry.enum(description="A full picture of the selection, or the changes since the last")
class MarketDataUpdateKind(Enum):
    SNAPSHOT = "SNAPSHOT"
    INCREMENT = "INCREMENT"


@strawberry.enum(description="How far a tick can be trusted")
class DataQuality(Enum):
    GOOD = "GOOD"
    INDICATIVE = "INDICATIVE"
    DEGRADED = "DEGRADED"
    UNKNOWN = "UNKNOWN"


@strawberry.type(description="Latest quote of one instrument; prices are decimal strings")
class MarketTick:
    instrument_id: strawberry.ID
    bid: str
    ask: str
    mid: str
    bid_size: str | None = strawberry.field(description="Not carried by the feeds yet")
    ask_size: str | None = strawberry.field(description="Not carried by the feeds yet")
    sequence: int = strawberry.field(description="Grows by one per tick of the instrument")
    prev_sequence: int | None = strawberry.field(
        description="Sequence of this instrument in the stream's previous increment"
    )
    ts: datetime = strawberry.field(description="Source timestamp (UTC)")
    source_at_ms: float = strawberry.field(description="Source timestamp, epoch milliseconds")
    received_at_ms: float = strawberry.field(description="Ingest receive time, epoch ms")
    late: bool
    stale: bool = strawberry.field(description="No tick within the staleness threshold")
    quality: DataQuality
    quality_flags: int = strawberry.field(
        description="Bits: 1 late, 2 locked, 4 off tick, 8 no source time, 16 future time"
    )

    @classmethod
    def of(cls, tick: HubTick, stale: bool, prev_sequence: int | None = None) -> MarketTick:
        return cls(
            instrument_id=strawberry.ID(tick.instrument_id),
            bid=tick.bid,
            ask=tick.ask,
            mid=tick.mid,
            bid_size=None,
            ask_size=None,
            sequence=tick.sequence,
            prev_sequence=prev_sequence,
            ts=source_time(tick.source_ts_ns),
            source_at_ms=tick.source_ts_ns / 1e6,
            received_at_ms=tick.receive_ts_ns / 1e6,
            late=tick.late,
            stale=stale,
            quality=DataQuality(quality_label(tick.quality)),
            quality_flags=tick.quality,
        )


@strawberry.type(description="One message of the marketData stream: snapshot first, then changes")
class MarketDataUpdate:
    kind: MarketDataUpdateKind
    seq: int = strawberry.field(description="+1 per increment; a jump means a missed message")
    snapshot_available: bool
    unavailable_reason: str | None
    ticks: list[MarketTick]

    @classmethod
    def of(cls, frame: Frame) -> MarketDataUpdate:
        return cls(
            kind=MarketDataUpdateKind(frame.kind),
            seq=frame.seq,
            snapshot_available=frame.snapshot_available,
            unavailable_reason=frame.unavailable_reason,
            ticks=[
                MarketTick.of(
                    t, frame.stale.get(t.instrument_id, False), frame.prev.get(t.instrument_id)
                )
                for t in frame.ticks
            ],
        )


@strawberry.type(description="Latest ticks of some instruments, from the snapshot store")
class MarketSnapshot:
    available: bool
    unavailable_reason: str | None
    ticks: list[MarketTick]
    missing_instrument_ids: list[strawberry.ID]
    not_entitled_instrument_ids: list[strawberry.ID] = strawberry.field(
        description="Asked for, but outside your asset-class entitlements: no prices sent"
    )

"""The canonical tick every source is normalised to, and its quality flags."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntFlag


class Quality(IntFlag):
    """Why a kept tick deserves a second look; 0 means clean."""

    NONE = 0
    LATE = 1  # source timestamp behind the newest one seen for the instrument
    LOCKED = 2  # bid == ask
    OFF_TICK = 4  # a price not on the instrument's tick grid (kept as sent)
    NO_SOURCE_TS = 8  # source sent no usable timestamp: receive time stands in
    FUTURE_TS = 16  # source timestamp ahead of receive time by more than the allowed skew


@dataclass(frozen=True, slots=True)
class CanonicalTick:
    """One normalised quote: prices as Decimal, times in epoch nanoseconds."""

    instrument_id: str
    bid: Decimal
    ask: Decimal
    mid: Decimal
    source_ts_ns: int
    receive_ts_ns: int
    source: str
    quality: Quality
    sequence: int

    @property
    def late(self) -> bool:
        return Quality.LATE in self.quality

    def to_record(self) -> dict[str, object]:
        """JSON-friendly form (prices as strings so no precision is lost)."""
        return {
            "instrument": self.instrument_id,
            "bid": str(self.bid),
            "ask": str(self.ask),
            "mid": str(self.mid),
            "source_ts_ns": self.source_ts_ns,
            "receive_ts_ns": self.receive_ts_ns,
            "source": self.source,
            "quality": int(self.quality),
            "sequence": self.sequence,
        }

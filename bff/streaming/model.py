"""Values the hub moves around: ticks, selections, and frames encoded once for many sessions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import orjson

from bff.streaming.metrics import StreamStats
from bff.streaming.wire import text_frame

# GraphQL field names of MarketTick and MarketDataUpdate (see bff/workstation/marketdata/types.py).
TICK_FIELDS = (
    "instrumentId",
    "bid",
    "ask",
    "mid",
    "bidSize",
    "askSize",
    "sequence",
    "prevSequence",
    "ts",
    "sourceAtMs",
    "receivedAtMs",
    "late",
    "stale",
    "quality",
    "qualityFlags",
)
UPDATE_FIELDS = ("kind", "seq", "snapshotAvailable", "unavailableReason", "ticks")
SNAPSHOT = "SNAPSHOT"
INCREMENT = "INCREMENT"


@dataclass(frozen=True, slots=True)
class HubTick:
    """The latest known quote of one instrument, as the hub keeps it (prices as strings)."""

    instrument_id: str
    bid: str
    ask: str
    mid: str
    sequence: int
    source_ts_ns: int
    receive_ts_ns: int
    quality: int = 0
    late: bool = False

    def graphql(self, stale: bool, prev_sequence: int | None) -> dict[str, Any]:
        """Every MarketTick field, keyed by its GraphQL name, serialised as Strawberry would."""
        return {
            "instrumentId": self.instrument_id,
            "bid": self.bid,
            "ask": self.ask,
            "mid": self.mid,
            "bidSize": None,  # the feeds carry no sizes yet
            "askSize": None,
            "sequence": self.sequence,
            "prevSequence": prev_sequence,
            "ts": source_time(self.source_ts_ns).isoformat(),
            "sourceAtMs": self.source_ts_ns / 1e6,
            "receivedAtMs": self.receive_ts_ns / 1e6,
            "late": self.late,
            "stale": stale,
            "quality": quality_label(self.quality),
            "qualityFlags": self.quality,
            "__typename": "MarketTick",
        }


def source_time(ns: int) -> datetime:
    """Exact (microsecond) UTC datetime of an epoch-nanosecond timestamp."""
    return datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(
        microsecond=(ns // 1_000) % 1_000_000
    )


# Quality flag bits (services/marketdata/domain/tick.py): 1 late, 2 locked, 4 off tick,
# 8 no source timestamp, 16 future timestamp.
_DEGRADED = 1 | 4 | 16
_INDICATIVE = 2 | 8


def quality_label(flags: int) -> str:
    """The DataQuality enum value of a flag set."""
    if flags == 0:
        return "GOOD"
    if flags & _DEGRADED:
        return "DEGRADED"
    if flags & _INDICATIVE:
        return "INDICATIVE"
    return "UNKNOWN"


@dataclass(frozen=True)
class SelectionKey:
    """What a subscription asks for; subscriptions with equal keys share one group and frames."""

    instruments: tuple[str, ...]
    update_fields: tuple[str, ...] = UPDATE_FIELDS
    tick_fields: tuple[str, ...] = TICK_FIELDS
    rate_hz: int = 10
    response_key: str = "marketData"

    @classmethod
    def of(
        cls,
        instruments: Iterable[str],
        update_fields: Iterable[str] = UPDATE_FIELDS,
        tick_fields: Iterable[str] = TICK_FIELDS,
        rate_hz: int = 10,
        response_key: str = "marketData",
    ) -> SelectionKey:
        return cls(
            tuple(sorted(set(instruments))),
            tuple(update_fields),
            tuple(tick_fields),
            rate_hz,
            response_key,
        )


@dataclass
class Frame:
    """One update for a group: built once; its JSON payload is encoded at most once, lazily."""

    key: SelectionKey
    kind: str
    seq: int
    ticks: list[HubTick]
    stale: Mapping[str, bool]
    # Per instrument, its sequence in the group's previous increment (None in snapshots).
    prev: Mapping[str, int | None]
    snapshot_available: bool = True
    unavailable_reason: str | None = None
    # Receive time of the oldest value in the frame: the latency this frame adds for anyone.
    oldest_receive_ns: int = field(default=0)
    stats: StreamStats | None = None
    # Complete WebSocket frames per operation-id prefix: subscribers with the same id share one.
    _wire: dict[bytes, bytes] = field(default_factory=dict, repr=False)

    def data(self) -> dict[str, Any]:
        """The `marketData` value restricted to the selection, fields in selection order."""
        tick_fields = self.key.tick_fields
        full: dict[str, Any] = {
            "kind": self.kind,
            "seq": self.seq,
            "snapshotAvailable": self.snapshot_available,
            "unavailableReason": self.unavailable_reason,
            "__typename": "MarketDataUpdate",
        }
        out: dict[str, Any] = {}
        for name in self.key.update_fields:
            if name == "ticks":
                out["ticks"] = [
                    _pick(
                        t.graphql(
                            self.stale.get(t.instrument_id, False), self.prev.get(t.instrument_id)
                        ),
                        tick_fields,
                    )
                    for t in self.ticks
                ]
            else:
                out[name] = full[name]
        return out

    @cached_property
    def payload(self) -> bytes:
        """`{"data":{"marketData":...}}` as JSON bytes: the part every subscriber shares."""
        if self.stats is not None:
            self.stats.payload_encodes += 1
        return orjson.dumps({"data": {self.key.response_key: self.data()}})

    def wire(self, prefix: bytes) -> bytes:
        """The whole graphql-transport-ws `next` message as a pre-framed WebSocket text frame."""
        frame = self._wire.get(prefix)
        if frame is None:
            frame = self._wire[prefix] = text_frame(prefix, self.payload, b"}")
        return frame

    @cached_property
    def payload_text(self) -> str:
        """The payload as text (WebSocket text frames), decoded once for every subscriber."""
        return self.payload.decode()


def _pick(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: values[name] for name in names}

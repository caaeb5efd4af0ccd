"""Values the hub moves around: ticks, selections, and frames encoded once for many sessions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson

from bff.streaming.metrics import StreamStats

# GraphQL field names of MarketTick and MarketDataUpdate (see bff/workstation/marketdata/types.py).
TICK_FIELDS = (
    "instrumentId",
    "bid",
    "ask",
    "mid",
    "sequence",
    "sourceAtMs",
    "receivedAtMs",
    "late",
    "stale",
    "quality",
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

    def graphql(self, stale: bool) -> dict[str, Any]:
        """Every MarketTick field, keyed by its GraphQL name."""
        return {
            "instrumentId": self.instrument_id,
            "bid": self.bid,
            "ask": self.ask,
            "mid": self.mid,
            "sequence": self.sequence,
            "sourceAtMs": self.source_ts_ns / 1e6,
            "receivedAtMs": self.receive_ts_ns / 1e6,
            "late": self.late,
            "stale": stale,
            "quality": self.quality,
            "__typename": "MarketTick",
        }


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
    snapshot_available: bool = True
    unavailable_reason: str | None = None
    # Receive time of the oldest value in the frame: the latency this frame adds for anyone.
    oldest_receive_ns: int = field(default=0)
    stats: StreamStats | None = None

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
                    _pick(t.graphql(self.stale.get(t.instrument_id, False)), tick_fields)
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

    @cached_property
    def payload_text(self) -> str:
        """The payload as text (WebSocket text frames), decoded once for every subscriber."""
        return self.payload.decode()


def _pick(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: values[name] for name in names}

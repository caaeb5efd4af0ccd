"""Turns raw quotes from any source into canonical ticks; bad input is counted, never raised."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from services.marketdata.domain.instruments import Instrument
from services.marketdata.domain.tick import CanonicalTick, Quality

_MAX_ID_LEN = 64


class Rejected(Exception):
    """Internal signal carrying the reason a raw quote is dropped; never leaves `normalise`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NormaliserConfig:
    # A tick is late when its source time is behind the newest seen by more than this.
    late_threshold_ns: int = 0
    # Source clocks ahead of ours by more than this are flagged (the tick is still kept).
    max_future_skew_ns: int = 5_000_000_000


class Normaliser:
    """Validates, flags and sequences quotes per instrument; keeps counters for metrics."""

    def __init__(
        self, instruments: Mapping[str, Instrument], config: NormaliserConfig | None = None
    ) -> None:
        self._instruments = instruments
        self._cfg = config or NormaliserConfig()
        self._sequence: dict[str, int] = {}
        self._newest_ts: dict[str, int] = {}
        self.accepted = 0
        self.late = 0
        self.flagged = 0
        self.dropped: Counter[str] = Counter()
        self.last_drop_reason = ""

    def sequence_of(self, instrument_id: str) -> int:
        return self._sequence.get(instrument_id, 0)

    def restore_sequence(self, instrument_id: str, sequence: int) -> None:
        """Continue numbering after a restart from the last sequence published."""
        self._sequence[instrument_id] = max(sequence, self._sequence.get(instrument_id, 0))

    def normalise(self, raw: object, receive_ts_ns: int) -> CanonicalTick | None:
        """The canonical tick, or None when the input is dropped (the reason is counted)."""
        try:
            return self._normalise(raw, receive_ts_ns)
        except Rejected as exc:
            self.last_drop_reason = exc.reason
        except Exception:  # a feed must never crash ingestion
            self.last_drop_reason = "internal_error"
        self.dropped[self.last_drop_reason] += 1
        return None

    def _normalise(self, raw: object, receive_ts_ns: int) -> CanonicalTick:
        if not isinstance(raw, Mapping):
            raise Rejected("not_a_mapping")
        inst = self._instrument(raw.get("instrument"))
        bid, ask = _price(raw.get("bid")), _price(raw.get("ask"))
        if bid > ask:
            raise Rejected("crossed")
        quality = Quality.NONE
        if bid == ask:
            quality |= Quality.LOCKED
        if not (inst.on_grid(bid) and inst.on_grid(ask)):
            quality |= Quality.OFF_TICK
        source_ts, ts_flags = self._source_ts(raw.get("ts"), receive_ts_ns)
        quality |= ts_flags | self._lateness(inst.instrument_id, source_ts)
        return self._accept(inst, bid, ask, source_ts, receive_ts_ns, _source(raw), quality)

    def _instrument(self, value: object) -> Instrument:
        if not isinstance(value, str) or not value or len(value) > _MAX_ID_LEN:
            raise Rejected("bad_instrument")
        inst = self._instruments.get(value)
        if inst is None:
            raise Rejected("unknown_instrument")
        return inst

    def _source_ts(self, value: object, receive_ts_ns: int) -> tuple[int, Quality]:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            return receive_ts_ns, Quality.NO_SOURCE_TS
        if value - receive_ts_ns > self._cfg.max_future_skew_ns:
            return value, Quality.FUTURE_TS
        return value, Quality.NONE

    def _lateness(self, instrument_id: str, source_ts: int) -> Quality:
        newest = self._newest_ts.get(instrument_id)
        if newest is not None and newest - source_ts > self._cfg.late_threshold_ns:
            return Quality.LATE
        self._newest_ts[instrument_id] = max(source_ts, newest or source_ts)
        return Quality.NONE

    def _accept(
        self,
        inst: Instrument,
        bid: Decimal,
        ask: Decimal,
        source_ts: int,
        receive_ts: int,
        source: str,
        quality: Quality,
    ) -> CanonicalTick:
        seq = self._sequence.get(inst.instrument_id, 0) + 1
        self._sequence[inst.instrument_id] = seq
        self.accepted += 1
        self.late += Quality.LATE in quality
        self.flagged += quality != Quality.NONE
        mid = (bid + ask) / 2
        return CanonicalTick(
            inst.instrument_id, bid, ask, mid, source_ts, receive_ts, source, quality, seq
        )


def _price(value: object) -> Decimal:
    """A strictly positive finite price from a string or number (floats via their repr)."""
    if isinstance(value, bool) or value is None:
        raise Rejected("bad_price")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Rejected("bad_price")
        value = repr(value)
    if not isinstance(value, (str, int, Decimal)) or (isinstance(value, str) and len(value) > 40):
        raise Rejected("bad_price")
    try:
        price = Decimal(value)
    except (InvalidOperation, ValueError):
        raise Rejected("bad_price") from None
    # Magnitude bounds keep grid arithmetic exact and reject nonsense such as 1E+999999.
    if not price.is_finite() or price <= 0 or not -12 <= price.adjusted() <= 12:
        raise Rejected("bad_price")
    return price


def _source(raw: Mapping[object, object]) -> str:
    value = raw.get("source")
    return value if isinstance(value, str) and 0 < len(value) <= _MAX_ID_LEN else "unknown"

"""Heartbeat-driven staleness detector: per-instrument stale and recovered transitions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class StaleState(StrEnum):
    STALE = "stale"
    RECOVERED = "recovered"


@dataclass(frozen=True, slots=True)
class StaleTransition:
    instrument_id: str
    state: StaleState
    last_tick_ns: int
    detected_ns: int

    @property
    def silence_ns(self) -> int:
        return self.detected_ns - self.last_tick_ns


class StalenessDetector:
    """An instrument is stale when no tick arrived for `threshold_ns`; reported once per episode."""

    def __init__(self, threshold_ns: int, instruments: Iterable[str], start_ns: int) -> None:
        self.threshold_ns = threshold_ns
        # Instruments never heard from count from the start: a feed that never speaks is stale.
        self._last: dict[str, int] = dict.fromkeys(instruments, start_ns)
        self._stale: set[str] = set()

    def is_stale(self, instrument_id: str) -> bool:
        return instrument_id in self._stale

    def on_tick(self, instrument_id: str, now_ns: int) -> StaleTransition | None:
        """Record a tick; returns the recovery transition if the instrument was stale."""
        self._last[instrument_id] = max(now_ns, self._last.get(instrument_id, now_ns))
        if instrument_id not in self._stale:
            return None
        self._stale.discard(instrument_id)
        return StaleTransition(instrument_id, StaleState.RECOVERED, now_ns, now_ns)

    def heartbeat(self, now_ns: int) -> list[StaleTransition]:
        """Instruments that have just become stale (each reported once until it recovers)."""
        out: list[StaleTransition] = []
        for iid, last in self._last.items():
            if iid not in self._stale and now_ns - last > self.threshold_ns:
                self._stale.add(iid)
                out.append(StaleTransition(iid, StaleState.STALE, last, now_ns))
        return out

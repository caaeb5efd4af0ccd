"""Staleness detector: stale once per silence episode, recovery on the next tick."""

from __future__ import annotations

from services.marketdata.domain.staleness import StalenessDetector, StaleState

S = 1_000_000_000


def test_silent_instrument_goes_stale_once_and_recovers_on_next_tick() -> None:
    det = StalenessDetector(2 * S, ["A", "B"], start_ns=0)
    det.on_tick("A", 1 * S)
    det.on_tick("B", 1 * S)
    assert det.heartbeat(2 * S) == []
    det.on_tick("A", int(2.5 * S))
    stale = det.heartbeat(int(3.5 * S))
    assert [(t.instrument_id, t.state) for t in stale] == [("B", StaleState.STALE)]
    assert stale[0].silence_ns == int(2.5 * S)
    assert det.is_stale("B")
    assert not det.is_stale("A")
    # A went silent at 2.5 s and is reported now; B was already reported and is not repeated.
    assert [t.instrument_id for t in det.heartbeat(10 * S)] == ["A"]
    recovered = det.on_tick("B", 11 * S)
    assert recovered is not None
    assert recovered.state is StaleState.RECOVERED
    assert not det.is_stale("B")
    assert det.on_tick("B", 12 * S) is None


def test_stale_is_not_repeated_while_silence_continues() -> None:
    det = StalenessDetector(S, ["A"], start_ns=0)
    first = det.heartbeat(2 * S)
    assert [t.state for t in first] == [StaleState.STALE]
    assert det.heartbeat(3 * S) == []
    assert det.heartbeat(30 * S) == []


def test_instrument_never_heard_from_goes_stale_after_threshold() -> None:
    det = StalenessDetector(5 * S, ["NEVER"], start_ns=100 * S)
    assert det.heartbeat(104 * S) == []
    assert [t.instrument_id for t in det.heartbeat(106 * S)] == ["NEVER"]


def test_late_tick_does_not_move_last_seen_backwards() -> None:
    det = StalenessDetector(2 * S, ["A"], start_ns=0)
    det.on_tick("A", 10 * S)
    det.on_tick("A", 1 * S)
    assert det.heartbeat(11 * S) == []

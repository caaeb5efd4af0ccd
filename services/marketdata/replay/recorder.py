"""Captures canonical ticks into a dataset: from the live log, or from the simulator."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.marketdata.domain.clock import ManualClock
from services.marketdata.domain.instruments import SEEDED_INSTRUMENTS, instrument_map
from services.marketdata.domain.normaliser import Normaliser
from services.marketdata.domain.simulator import QuoteSimulator, SimulatorConfig
from services.marketdata.domain.tick import CanonicalTick
from services.marketdata.replay.dataset import Dataset, from_ticks

_NS = 1_000_000_000


@dataclass
class Recorder:
    """Collects ticks (late ones excluded: a dataset replays in order) up to a limit."""

    max_ticks: int = 100_000
    rows: list[tuple[int, str, str, str, str]] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return len(self.rows) >= self.max_ticks

    def add(self, tick: CanonicalTick) -> bool:
        if self.full or tick.late:
            return False
        self.rows.append(
            (tick.source_ts_ns, tick.instrument_id, str(tick.bid), str(tick.ask), tick.source)
        )
        return True

    def dataset(self, description: str) -> Dataset:
        return from_ticks(self.rows, description)


def simulated_dataset(seconds: int, seed: int = 7, instruments: int = 30) -> Dataset:
    """A deterministic dataset of `seconds` of simulated quotes (how the shipped one was made)."""
    chosen = SEEDED_INSTRUMENTS[:instruments]
    clock = ManualClock(start_ns=0)
    sim = QuoteSimulator(clock.now_ns(), chosen, SimulatorConfig(seed=seed))
    normaliser = Normaliser(instrument_map(chosen))
    recorder = Recorder()
    for raw in sim.advance(seconds * _NS):
        tick = normaliser.normalise(raw, int(str(raw["ts"])))
        if tick is not None:
            recorder.add(tick)
    return recorder.dataset(f"simulator seed={seed}, {seconds}s, {len(chosen)} instruments")

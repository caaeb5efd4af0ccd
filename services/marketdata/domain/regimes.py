"""Volatility regimes (calm / normal / stressed) switching as a continuous-time Markov chain."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum


class Regime(StrEnum):
    CALM = "calm"
    NORMAL = "normal"
    STRESSED = "stressed"


@dataclass(frozen=True)
class RegimeEffect:
    """How a regime scales volatility, spread and quote rate relative to the normal regime."""

    vol: float
    spread: float
    rate: float


_NS = 1_000_000_000


def _default_rates() -> dict[Regime, dict[Regime, float]]:
    # Switching rates per second; mean dwell: calm ~2 min, normal ~2 min, stressed ~45 s.
    return {
        Regime.CALM: {Regime.NORMAL: 1 / 120},
        Regime.NORMAL: {Regime.CALM: 1 / 240, Regime.STRESSED: 1 / 240},
        Regime.STRESSED: {Regime.NORMAL: 1 / 45},
    }


def _default_effects() -> dict[Regime, RegimeEffect]:
    return {
        Regime.CALM: RegimeEffect(vol=0.5, spread=1.0, rate=0.5),
        Regime.NORMAL: RegimeEffect(vol=1.0, spread=1.5, rate=1.0),
        Regime.STRESSED: RegimeEffect(vol=3.0, spread=4.0, rate=2.0),
    }


@dataclass(frozen=True)
class RegimeModel:
    """Transition rates (per second) between regimes and each regime's effect."""

    rates: dict[Regime, dict[Regime, float]] = field(default_factory=_default_rates)
    effects: dict[Regime, RegimeEffect] = field(default_factory=_default_effects)
    initial: Regime = Regime.NORMAL


class RegimeChain:
    """Samples exact switch times (exponential dwell) so results do not depend on step size."""

    def __init__(self, model: RegimeModel, rng: random.Random, start_ns: int) -> None:
        self._model = model
        self._rng = rng
        self.current = model.initial
        self.switches: list[tuple[int, Regime]] = []
        self._next_switch_ns = self._sample_switch(start_ns)

    @property
    def effect(self) -> RegimeEffect:
        return self._model.effects[self.current]

    def advance(self, now_ns: int) -> Regime:
        """Apply every switch due by `now_ns`; returns the regime in force at `now_ns`."""
        while self._next_switch_ns <= now_ns:
            at = self._next_switch_ns
            self.current = self._pick_next()
            self.switches.append((at, self.current))
            self._next_switch_ns = self._sample_switch(at)
        return self.current

    def _exit_rate(self) -> float:
        return sum(self._model.rates.get(self.current, {}).values())

    def _sample_switch(self, from_ns: int) -> int:
        rate = self._exit_rate()
        if rate <= 0:
            return 2**62  # absorbing regime: never leaves
        return from_ns + max(1, int(self._rng.expovariate(rate) * _NS))

    def _pick_next(self) -> Regime:
        targets = self._model.rates[self.current]
        names = list(targets)
        return self._rng.choices(names, weights=[targets[n] for n in names])[0]

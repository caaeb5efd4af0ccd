"""Seedable quote simulator: random-walk / mean-reverting mids, regime-scaled spreads, bursts."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from services.marketdata.domain.instruments import SEEDED_INSTRUMENTS, Instrument
from services.marketdata.domain.regimes import RegimeChain, RegimeModel

_NS = 1_000_000_000
SIM_SOURCE = "sim"


@dataclass(frozen=True)
class SimulatorConfig:
    """Rates and bursts; `rate_overrides` sets ticks/s for named instruments."""

    seed: int = 7
    rate_scale: float = 1.0
    rate_overrides: Mapping[str, float] = field(default_factory=dict)
    burst_probability_per_s: float = 1 / 60
    burst_factor: float = 10.0
    burst_duration_s: float = 0.5
    regimes: RegimeModel = field(default_factory=RegimeModel)


@dataclass
class _State:
    instrument: Instrument
    mid_ticks: float
    anchor_ticks: float
    last_ns: int
    burst_until_ns: int = 0


class QuoteSimulator:
    """Produces raw quotes (the shape a feed sends) in timestamp order, driven by `advance`."""

    def __init__(
        self,
        start_ns: int,
        instruments: Sequence[Instrument] = SEEDED_INSTRUMENTS,
        config: SimulatorConfig | None = None,
    ) -> None:
        self._cfg = config or SimulatorConfig()
        self._rng = random.Random(self._cfg.seed)
        self.regime = RegimeChain(self._cfg.regimes, self._rng, start_ns)
        self._states: list[_State] = []
        self._heap: list[tuple[int, int]] = []
        for index, inst in enumerate(instruments):
            level = float(inst.to_ticks(inst.level))
            self._states.append(_State(inst, level, level, start_ns))
            heapq.heappush(self._heap, (self._next_time(index, start_ns), index))

    def base_rate(self, instrument: Instrument) -> float:
        rate = self._cfg.rate_overrides.get(instrument.instrument_id, instrument.ticks_per_second)
        return rate * self._cfg.rate_scale

    def next_due_ns(self) -> int:
        return self._heap[0][0] if self._heap else 2**62

    def advance(self, to_ns: int) -> list[dict[str, object]]:
        """Every quote with a timestamp <= `to_ns`, oldest first."""
        out: list[dict[str, object]] = []
        while self._heap and self._heap[0][0] <= to_ns:
            ts, index = heapq.heappop(self._heap)
            out.append(self._emit(index, ts))
            heapq.heappush(self._heap, (self._next_time(index, ts), index))
        return out

    def _emit(self, index: int, ts: int) -> dict[str, object]:
        st = self._states[index]
        self.regime.advance(ts)
        effect = self.regime.effect
        dt = max(ts - st.last_ns, 0) / _NS
        st.last_ns = ts
        st.mid_ticks = self._evolve(st, dt, effect.vol)
        inst = st.instrument
        spread = self._spread(inst, effect.spread)
        # Keep the bid at least one tick above zero: prices stay positive in any regime.
        bid = max(round(st.mid_ticks - spread / 2), 1)
        ask = bid + spread
        self._maybe_burst(st, ts, dt)
        return {
            "instrument": inst.instrument_id,
            "bid": str(inst.price(bid)),
            "ask": str(inst.price(ask)),
            "ts": ts,
            "source": SIM_SOURCE,
        }

    def _evolve(self, st: _State, dt: float, vol_mult: float) -> float:
        inst = st.instrument
        sigma = inst.vol_ticks * vol_mult * math.sqrt(dt)
        shock = self._rng.gauss(0.0, 1.0) * sigma
        if inst.mean_reversion <= 0:
            return st.mid_ticks + shock
        decay = math.exp(-inst.mean_reversion * dt)
        return st.anchor_ticks + (st.mid_ticks - st.anchor_ticks) * decay + shock

    def _spread(self, inst: Instrument, mult: float) -> int:
        noise = 1.0 + 0.3 * abs(self._rng.gauss(0.0, 1.0))
        return max(1, round(inst.spread_ticks * mult * noise))

    def _maybe_burst(self, st: _State, ts: int, dt: float) -> None:
        if ts < st.burst_until_ns:
            return
        if self._rng.random() < self._cfg.burst_probability_per_s * dt:
            st.burst_until_ns = ts + int(self._cfg.burst_duration_s * _NS)

    def _next_time(self, index: int, now_ns: int) -> int:
        st = self._states[index]
        rate = self.base_rate(st.instrument) * self.regime.effect.rate
        if now_ns < st.burst_until_ns:
            rate *= self._cfg.burst_factor
        if rate <= 0:
            return 2**62
        return now_ns + max(1, int(self._rng.expovariate(rate) * _NS))

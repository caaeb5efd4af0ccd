"""Timed replay: each recorded quote goes out at start + offset / speed on an injected clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from fractions import Fraction

from services.marketdata.domain.clock import Clock
from services.marketdata.replay.dataset import Dataset

REPLAY_SOURCE = "replay"
# In `max` mode nothing sleeps; yield to the loop every so often so other tasks still run.
_YIELD_EVERY = 256


def parse_speed(text: str) -> Fraction | None:
    """`0.2x`, `1`, `5x` -> the factor; `max` -> None (as fast as the sink accepts)."""
    value = text.strip().lower()
    if value == "max":
        return None
    speed = Fraction(value.removesuffix("x"))
    if speed <= 0:
        raise ValueError(f"speed must be positive or 'max', got {text!r}")
    return speed


def due_ns(start_ns: int, offset_ns: int, speed: Fraction) -> int:
    """Exact emission time: integer nanoseconds, no float rounding drift over long files."""
    return start_ns + (offset_ns * speed.denominator) // speed.numerator


class ReplayFeed:
    """A connector replaying a dataset; quotes are re-stamped with their emission time."""

    name = REPLAY_SOURCE

    def __init__(
        self,
        dataset: Dataset,
        clock: Clock,
        speed: Fraction | None = Fraction(1),
        loop: bool = False,
        max_loops: int | None = None,
    ) -> None:
        self._dataset = dataset
        self._clock = clock
        self._speed = speed
        self._loop = loop
        self._max_loops = max_loops
        self.emitted = 0
        self.loops_done = 0

    async def close(self) -> None:
        """Nothing to release: the dataset is in memory."""

    async def quotes(self) -> AsyncIterator[object]:
        while True:
            async for quote in self._one_pass():
                yield quote
            self.loops_done += 1
            if not self._loop or (
                self._max_loops is not None and self.loops_done >= self._max_loops
            ):
                return

    async def _one_pass(self) -> AsyncIterator[dict[str, object]]:
        start = self._clock.now_ns()
        for quote in self._dataset.quotes:
            if self._speed is not None:
                await self._clock.sleep_until(due_ns(start, quote.offset_ns, self._speed))
            elif self.emitted % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
            self.emitted += 1
            yield {
                "instrument": quote.instrument,
                "bid": quote.bid,
                "ask": quote.ask,
                "ts": self._clock.now_ns(),
                "source": REPLAY_SOURCE,
            }

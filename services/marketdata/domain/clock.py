"""Injected clocks: the wall clock for production, a manual one for tests and replay checks."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Time source in integer nanoseconds since the epoch, with a sleep that honours it."""

    def now_ns(self) -> int: ...

    async def sleep_until(self, deadline_ns: int) -> None: ...


class SystemClock:
    """Wall-clock time; sleeping uses the event loop."""

    def now_ns(self) -> int:
        return time.time_ns()

    async def sleep_until(self, deadline_ns: int) -> None:
        delay = (deadline_ns - time.time_ns()) / 1e9
        # Always yield once so a caller looping on due work never starves the loop.
        await asyncio.sleep(max(delay, 0.0))


class ManualClock:
    """A clock that only moves when told to; sleeping jumps time forward to the deadline."""

    def __init__(self, start_ns: int = 1_700_000_000_000_000_000) -> None:
        self._now = start_ns
        self.sleeps: list[int] = []

    def now_ns(self) -> int:
        return self._now

    def advance(self, delta_ns: int) -> None:
        self._now += delta_ns

    async def sleep_until(self, deadline_ns: int) -> None:
        self.sleeps.append(deadline_ns)
        if deadline_ns > self._now:
            self._now = deadline_ns
        await asyncio.sleep(0)

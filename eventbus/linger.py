"""Adaptive batching for the relay and consumers: bigger batches when busy, none when quiet."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Linger:
    """After a batch of at least `threshold` items (a busy stream) wait `seconds` before taking
    the next, so that it is bigger; after a smaller batch go on at once (low latency when quiet).

    Every batch costs a few database and broker round trips whatever its size (~1.5 ms of
    Python CPU and as much of Postgres per relay batch on a 2-core box), so a busy stream of
    tiny batches spends its CPU on round trips; a short wait trades a few ms of latency, only
    under load, for several times fewer of them.
    """

    seconds: float = 0.01
    threshold: int = 20

    def wants_wait(self, count: int, full: int) -> bool:
        """True after a busy but not full batch (a full one means a backlog: go on at once)."""
        return self.seconds > 0 and self.threshold <= count < full

    async def after(self, count: int, full: int) -> None:
        if self.wants_wait(count, full):
            await asyncio.sleep(self.seconds)


NO_LINGER = Linger(seconds=0.0)

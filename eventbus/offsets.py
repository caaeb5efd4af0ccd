"""Offset commits off the consumer loop's critical path.

A commit is a round trip to the group coordinator (a few ms on a busy box). Awaiting it
before the next poll made every poll cycle that much longer, and a record appended during a
cycle waits for the end of it, so the commit landed in the latency of every event (ADR 0015).
The committer sends the commit in the background and the loop polls again at once; offsets
submitted while a commit is in flight are merged and sent right after it.

Nothing about delivery changes: offsets are still submitted only after their effects are
committed, so a crash can only redeliver more records, and consumers are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from eventbus.bus import Consumer, TopicPartition
from eventbus.errors import CommitFailed

log = logging.getLogger(__name__)


class OffsetCommitter:
    """At most one commit in flight per consumer; later offsets wait for it and are merged.

    `min_interval_s` spaces commits: offsets submitted sooner after the previous commit wait
    for the rest of the interval and go in one commit with whatever arrives meanwhile. Each
    commit is a request the broker appends to its offsets topic, so a consumer of a busy topic
    committed after every small poll batch spent Kafka CPU on it; a crash redelivers at most
    one interval more, which idempotent consumers absorb. `flush` does not wait the interval."""

    def __init__(self, consumer: Consumer, min_interval_s: float = 0.0) -> None:
        self._consumer = consumer
        self._min_interval_s = min_interval_s
        self._last_commit = float("-inf")
        self._hurry = asyncio.Event()
        self._pending: dict[TopicPartition, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self.commits = 0

    def submit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Queue offsets whose effects are committed; raises a failure of an earlier commit
        (the broker is gone: the loop should stop as it would have with an awaited commit)."""
        self._raise_failure()
        # The latest offsets win: they come from later records, or from a rewind on purpose.
        self._pending.update(offsets)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())

    async def flush(self) -> None:
        """Commit every submitted offset now (no interval) and wait for it (or its failure)."""
        self._hurry.set()  # a commit waiting out its interval goes now
        try:
            while self._task is not None and not self._task.done():
                await self._task
        finally:
            self._hurry.clear()
        self._raise_failure()

    async def _drain(self) -> None:
        while self._pending and self._failure is None:
            wait = self._last_commit + self._min_interval_s - asyncio.get_running_loop().time()
            if wait > 0 and not self._hurry.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), wait)
            offsets, self._pending = self._pending, {}
            self._last_commit = asyncio.get_running_loop().time()
            try:
                await self._consumer.commit(offsets)
                self.commits += 1
            except CommitFailed:
                # A rebalance moved the partition: its new owner re-reads these records and
                # the idempotent effects turn them into no-ops.
                log.warning("offset commit refused after a rebalance; records will be redelivered")
            except Exception as exc:  # surfaces at the next submit or flush
                self._failure = exc

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

"""OffsetCommitter: commits leave the poll loop's critical path without losing or reordering."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest

from eventbus.bus import ConsumedRecord, TopicPartition
from eventbus.errors import BusUnavailable, CommitFailed
from eventbus.offsets import OffsetCommitter

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


class SlowConsumer:
    """Commits complete only when the test releases them, so overlap can be arranged."""

    def __init__(self, fail_with: Sequence[BaseException | None] = ()) -> None:
        self.done: list[dict[TopicPartition, int]] = []
        self.release = asyncio.Event()
        self._failures = list(fail_with)

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        await self.release.wait()
        failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            raise failure
        self.done.append(dict(offsets))

    # The rest of the Consumer protocol is not used by the committer.
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def poll(self, timeout_ms: int = 1000) -> list[ConsumedRecord]:
        return []

    def assignment(self) -> set[TopicPartition]:
        return set()

    async def seek_to_beginning(self) -> None: ...
    async def committed(self, tp: TopicPartition) -> int | None:
        return None

    async def end_offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return {}


async def test_submit_returns_at_once_and_merges_offsets_behind_the_commit_in_flight() -> None:
    consumer = SlowConsumer()
    committer = OffsetCommitter(consumer)
    committer.submit({P0: 10})
    await asyncio.sleep(0)  # the first commit is now in flight, blocked
    committer.submit({P0: 20, P1: 5})
    committer.submit({P0: 30})
    assert consumer.done == []
    consumer.release.set()
    await committer.flush()
    # One commit with the first offsets, then one with the merged latest of each partition.
    assert consumer.done == [{P0: 10}, {P0: 30, P1: 5}]
    assert committer.commits == 2


async def test_a_refused_commit_after_a_rebalance_is_logged_and_later_ones_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    consumer = SlowConsumer(fail_with=[CommitFailed("group g: rebalanced")])
    consumer.release.set()
    committer = OffsetCommitter(consumer)
    committer.submit({P0: 10})
    await committer.flush()
    committer.submit({P0: 11})
    await committer.flush()
    assert consumer.done == [{P0: 11}]
    assert "redelivered" in caplog.text


async def test_a_broker_failure_surfaces_at_the_next_submit_and_is_not_swallowed() -> None:
    consumer = SlowConsumer(fail_with=[BusUnavailable("commit failed: gone")])
    consumer.release.set()
    committer = OffsetCommitter(consumer)
    committer.submit({P0: 10})
    await asyncio.sleep(0.01)
    with pytest.raises(BusUnavailable):
        committer.submit({P0: 11})
    assert consumer.done == []


async def test_flush_raises_a_failure_of_the_last_commit() -> None:
    consumer = SlowConsumer(fail_with=[BusUnavailable("commit failed: gone")])
    consumer.release.set()
    committer = OffsetCommitter(consumer)
    committer.submit({P0: 10})
    with pytest.raises(BusUnavailable):
        await committer.flush()


async def test_commits_are_spaced_by_the_interval_and_a_flush_does_not_wait_it() -> None:
    consumer = SlowConsumer()
    consumer.release.set()
    committer = OffsetCommitter(consumer, min_interval_s=30.0)
    committer.submit({P0: 1})
    await asyncio.sleep(0.01)
    assert consumer.done == [{P0: 1}]  # the first commit goes at once
    committer.submit({P0: 2})
    committer.submit({P0: 3, P1: 7})
    await asyncio.sleep(0.05)
    assert consumer.done == [{P0: 1}]  # the next waits out the 30 s interval...
    await asyncio.wait_for(committer.flush(), 1.0)  # ...unless flushed, which commits now
    assert consumer.done == [{P0: 1}, {P0: 3, P1: 7}]

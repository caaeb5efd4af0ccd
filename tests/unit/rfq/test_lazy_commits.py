"""Lazy offset commits: merged, sent once the interval passed, flushed when quiet and at stop,
never before the runner reported the effects done."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from eventbus.bus import ConsumedRecord, TopicPartition
from eventbus.errors import CommitFailed
from services.rfq.lazy_commits import LazyCommitConsumer

A, B = TopicPartition("t", 0), TopicPartition("t", 1)


@dataclass
class FakeConsumer:
    """Records commits; hands out queued poll results; may refuse commits (a rebalance)."""

    polls: list[list[ConsumedRecord]] = field(default_factory=list)
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)
    refuse: bool = False
    stopped: bool = False

    async def poll(self, timeout_ms: int = 1000) -> list[ConsumedRecord]:
        return self.polls.pop(0) if self.polls else []

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        if self.refuse:
            raise CommitFailed("rebalanced")
        self.commits.append(dict(offsets))

    async def start(self) -> None: ...

    async def stop(self) -> None:
        self.stopped = True

    def assignment(self) -> set[TopicPartition]:
        return {A, B}

    async def seek_to_beginning(self) -> None: ...

    async def committed(self, tp: TopicPartition) -> int | None:
        return None

    async def end_offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return {}


@dataclass
class Clock:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


def lazy(inner: FakeConsumer, clock: Clock) -> LazyCommitConsumer:
    return LazyCommitConsumer(inner, every_s=0.5, clock=clock)


async def test_commits_within_the_interval_are_merged_into_one_with_the_highest_offsets() -> None:
    inner, clock = FakeConsumer(), Clock()
    consumer = lazy(inner, clock)
    await consumer.commit({A: 5})
    await consumer.commit({A: 7, B: 2})
    await consumer.commit({A: 6})  # never moves a partition back
    assert inner.commits == []
    clock.now += 0.5
    await consumer.commit({B: 3})
    assert inner.commits == [{A: 7, B: 3}]


async def test_a_quiet_stream_gets_its_last_offsets_committed_by_an_empty_poll() -> None:
    inner, clock = FakeConsumer(), Clock()
    consumer = lazy(inner, clock)
    await consumer.commit({A: 9})
    assert await consumer.poll() == []
    assert inner.commits == []  # not due yet
    clock.now += 1
    await consumer.poll()
    assert inner.commits == [{A: 9}]
    await consumer.poll()
    assert inner.commits == [{A: 9}]  # nothing pending: nothing sent


async def test_stop_commits_what_was_applied_then_leaves() -> None:
    inner, clock = FakeConsumer(), Clock()
    consumer = lazy(inner, clock)
    await consumer.commit({B: 4})
    await consumer.stop()
    assert inner.commits == [{B: 4}]
    assert inner.stopped


async def test_a_refused_commit_surfaces_to_the_runner_but_not_from_a_quiet_poll_or_stop() -> None:
    inner, clock = FakeConsumer(refuse=True), Clock()
    consumer = lazy(inner, clock)
    clock.now += 1
    with pytest.raises(CommitFailed):
        await consumer.commit({A: 1})  # ConsumerRunner logs it; the records come again
    await consumer.commit({A: 2})
    clock.now += 1
    await consumer.poll()
    await consumer.commit({A: 3})
    await consumer.stop()
    assert inner.stopped

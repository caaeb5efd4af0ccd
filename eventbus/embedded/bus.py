"""The embedded durable log: EventBus over one SQLite file, driven from a dedicated thread."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

from eventbus import metrics
from eventbus.bus import ConsumerConfig, OutgoingRecord, RecordMetadata, TopicSpec
from eventbus.embedded import hub as hubs
from eventbus.embedded.consumer import EmbeddedConsumer
from eventbus.embedded.groups import GroupCoordinator
from eventbus.embedded.store import LogStore
from eventbus.errors import BusUnavailable, UnknownTopic

T = TypeVar("T")
_Pending = tuple[Sequence[OutgoingRecord], "asyncio.Future[list[RecordMetadata]]"]


class EmbeddedBus:
    """Topics, partitions and consumer groups in `<path>` (SQLite, WAL), same contract as Kafka.

    Appends from concurrent publishers are group-committed: one transaction per flush.
    """

    def __init__(self, path: Path, *, poll_interval_s: float = 0.2) -> None:
        self.path = path
        # Fallback re-read interval for records appended by another process (no cross-process
        # notification exists); in-process appends wake consumers at once.
        self.poll_interval_s = poll_interval_s
        self._executor: ThreadPoolExecutor | None = None
        self._store: LogStore | None = None
        self._topics: dict[str, int] = {}
        self._hub: hubs.Hub | None = None
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._executor is not None:
            return
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orion-eventlog")
        try:
            self._store = await self.run(lambda: LogStore(self.path))
            self._topics = await self.run(self.store.topics)
        except BaseException:
            self._executor.shutdown(wait=False)
            self._executor, self._store = None, None
            raise
        self._hub = hubs.acquire(self.path)

    async def stop(self) -> None:
        if self._executor is None:
            return
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self.run(self.store.close)
        self._executor.shutdown(wait=True)
        self._executor, self._store = None, None
        self.notify()
        hubs.release(self.path)
        self._hub = None

    @property
    def store(self) -> LogStore:
        if self._store is None:
            raise BusUnavailable(f"embedded log {self.path} is not started")
        return self._store

    async def run(self, fn: Callable[[], T]) -> T:
        """Run a blocking store call on the log's own thread, never on the event loop."""
        if self._executor is None:
            raise BusUnavailable(f"embedded log {self.path} is not started")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn)
        except sqlite3.OperationalError as exc:
            raise BusUnavailable(f"embedded log {self.path}: {exc}") from exc

    @property
    def hub(self) -> hubs.Hub:
        if self._hub is None:
            raise BusUnavailable(f"embedded log {self.path} is not started")
        return self._hub

    def notify(self) -> None:
        """Wake every waiting consumer of this file in this process (new records, rebalance)."""
        if self._hub is not None:
            self._hub.notify()

    def changed(self) -> asyncio.Event:
        return self.hub.changed()

    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None:
        await self.run(lambda: self.store.create_topics(specs))
        self._topics = await self.run(self.store.topics)

    async def partitions(self, topic: str) -> int:
        if topic not in self._topics:
            # Another process may have created it since start.
            self._topics = await self.run(self.store.topics)
        if topic not in self._topics:
            raise UnknownTopic(f"topic {topic!r} does not exist in {self.path}")
        return self._topics[topic]

    async def publish(self, record: OutgoingRecord) -> RecordMetadata:
        return (await self.publish_batch([record]))[0]

    async def publish_batch(self, records: Sequence[OutgoingRecord]) -> list[RecordMetadata]:
        for topic in {r.topic for r in records}:
            await self.partitions(topic)
        future: asyncio.Future[list[RecordMetadata]] = asyncio.get_running_loop().create_future()
        self._pending.append((records, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            flat = [rec for records, _ in batch for rec in records]
            topics = dict(self._topics)
            try:
                metas = await self.run(partial(self.store.append, flat, topics))
            except Exception as exc:  # every waiting publisher learns why its append failed
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            metrics.record_published(metas)
            start = 0
            for records, future in batch:
                if not future.done():
                    future.set_result(metas[start : start + len(records)])
                start += len(records)
            self.notify()

    def group(self, group_id: str) -> GroupCoordinator:
        return self.hub.group(group_id)

    def next_member_id(self, client_id: str) -> str:
        return self.hub.next_member_id(client_id)

    def consumer(self, config: ConsumerConfig) -> EmbeddedConsumer:
        return EmbeddedConsumer(self, config)

"""A consumer-group member of the embedded log: assigned partitions, positions, commits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from eventbus import metrics
from eventbus.bus import ConsumedRecord, ConsumerConfig, TopicPartition
from eventbus.errors import BusUnavailable, CommitFailed

if TYPE_CHECKING:
    from eventbus.embedded.bus import EmbeddedBus


class EmbeddedConsumer:
    """Reads its share of the group's partitions; positions start at the committed offsets."""

    def __init__(self, bus: EmbeddedBus, config: ConsumerConfig) -> None:
        self._bus = bus
        self._config = config
        self._member_id = ""
        self._generation = -1
        self._positions: dict[TopicPartition, int] = {}
        self._rewind = False
        self._rewound: set[TopicPartition] = set()
        self._running = False
        self._cursor = 0

    async def start(self) -> None:
        if self._running:
            return
        partitions = {t: await self._bus.partitions(t) for t in self._config.topics}
        self._member_id = self._bus.next_member_id(self._config.client_id)
        self._bus.group(self._config.group_id).join(
            self._member_id, self._config.topics, partitions
        )
        self._running = True
        self._bus.notify()
        await self._sync_assignment()

    async def stop(self) -> None:
        """Leave the group without committing; other members take over the partitions."""
        if not self._running:
            return
        self._running = False
        self._positions.clear()
        with contextlib.suppress(BusUnavailable):  # the bus stopped first: the group is gone
            self._bus.group(self._config.group_id).leave(self._member_id)
            self._bus.notify()

    def assignment(self) -> set[TopicPartition]:
        """The group's current share for this member (positions follow at the next poll)."""
        if not self._running:
            return set()
        return set(self._bus.group(self._config.group_id).assignment(self._member_id))

    async def poll(self, timeout_ms: int = 1000) -> list[ConsumedRecord]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_ms / 1000
        while self._running:
            # Take the wake-up event BEFORE reading, so an append in between is not missed.
            changed = self._bus.changed()
            await self._sync_assignment()
            records = await self._fetch()
            remaining = deadline - loop.time()
            if records or remaining <= 0:
                return records
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, self._bus.poll_interval_s))
        return []

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit next-offsets to read; refused for partitions this member no longer owns."""
        await self._sync_assignment()
        foreign = [tp for tp in offsets if tp not in self._positions]
        if foreign or not self._running:
            raise CommitFailed(f"group {self._config.group_id}: not assigned {foreign}")
        group, values = self._config.group_id, dict(offsets)
        await self._bus.run(lambda: self._bus.store.commit(group, values))

    async def seek_to_beginning(self) -> None:
        """Rewind the assigned partitions now and partitions assigned later, once each."""
        self._rewind = True
        for tp in self._positions:
            self._positions[tp] = 0
            self._rewound.add(tp)

    async def committed(self, tp: TopicPartition) -> int | None:
        group = self._config.group_id
        found = await self._bus.run(lambda: self._bus.store.committed(group, [tp]))
        return found.get(tp)

    async def end_offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        wanted = list(tps)
        return await self._bus.run(lambda: self._bus.store.end_offsets(wanted))

    async def _sync_assignment(self) -> None:
        group = self._bus.group(self._config.group_id)
        if not self._running or group.generation == self._generation:
            return
        self._generation = group.generation
        owned = group.assignment(self._member_id)
        kept = {tp: pos for tp, pos in self._positions.items() if tp in owned}
        fresh = sorted(owned - kept.keys(), key=lambda tp: (tp.topic, tp.partition))
        kept.update(await self._start_positions(fresh))
        self._positions = kept

    async def _start_positions(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        if not tps:
            return {}
        group = self._config.group_id
        committed = await self._bus.run(lambda: self._bus.store.committed(group, tps))
        ends = await self.end_offsets(tps)
        out: dict[TopicPartition, int] = {}
        for tp in tps:
            if self._rewind and tp not in self._rewound:
                out[tp] = 0
                self._rewound.add(tp)
            elif tp in committed:
                out[tp] = committed[tp]
            else:
                out[tp] = 0 if self._config.start_from == "earliest" else ends[tp]
        return out

    async def _fetch(self) -> list[ConsumedRecord]:
        if not self._positions:
            return []
        # Rotate the starting partition so one busy partition cannot starve the others.
        order = sorted(self._positions.items(), key=lambda kv: (kv[0].topic, kv[0].partition))
        self._cursor = (self._cursor + 1) % len(order)
        order = order[self._cursor :] + order[: self._cursor]
        limit = self._config.max_batch
        try:
            records = await self._bus.run(lambda: self._bus.store.fetch(order, limit))
        except BusUnavailable:
            if not self._running:
                return []
            raise
        for rec in records:
            tp = rec.topic_partition
            if tp in self._positions:
                self._positions[tp] = rec.offset + 1
        metrics.record_consumed(self._config.group_id, records)
        return records

"""The fan-out hub: latest value per instrument, groups per selection, coalesced frames."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bff.streaming.metrics import DepthSource, StreamStats
from bff.streaming.model import INCREMENT, SNAPSHOT, Frame, HubTick, SelectionKey
from bff.streaming.outbox import Outbox

ALLOWED_RATES_HZ = (1, 2, 5, 10, 20)


@dataclass(frozen=True)
class SnapshotLoad:
    available: bool
    ticks: Sequence[HubTick] = ()
    reason: str = ""


class SnapshotSource(Protocol):
    """Where the hub gets values it has not seen on the stream yet (Redis via the reader)."""

    async def load(self, instrument_ids: Sequence[str]) -> SnapshotLoad: ...


@dataclass(frozen=True)
class HubConfig:
    default_rate_hz: int = 10
    stale_after_ns: int = 5_000_000_000
    max_queue_depth: int = 16
    # Each rate's period is cut into this many slots and every group flushes in its own slot,
    # once per period as before. One flush of every group at once writes to every socket in
    # one burst (~35 ms for 2,500 sessions), and the sessions at the end of that burst, and
    # ticks arriving during it, wait for all of it; spread over slots the burst is 1/N as long.
    flush_phases: int = 4


@dataclass(eq=False)
class Group:
    """Subscribers of one selection: they share every frame the group builds."""

    key: SelectionKey
    subscribers: set[Outbox] = field(default_factory=set)
    dirty: set[str] = field(default_factory=set)
    seq: int = 0
    snapshot_available: bool = True
    unavailable_reason: str | None = None
    cached_snapshot: Frame | None = None
    # Tick sequence per instrument in the group's previous increments (snapshots excluded, so
    # it is the same for every member): the prevSequence of the next increment.
    sent: dict[str, int] = field(default_factory=dict)
    phase: int = 0  # the slot of the period in which this group flushes


@dataclass(eq=False)
class Subscription:
    group: Group
    outbox: Outbox


class MarketDataHub(DepthSource):
    """Single event-loop object: every method runs on the loop, so no locks are needed."""

    def __init__(
        self,
        snapshots: SnapshotSource | None = None,
        config: HubConfig | None = None,
        now_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.config = config or HubConfig()
        self.stats = StreamStats()
        self._snapshots = snapshots
        self._now = now_ns
        self.latest: dict[str, HubTick] = {}
        self.stale: dict[str, bool] = {}
        self._groups: dict[SelectionKey, Group] = {}
        self._by_instrument: dict[str, set[Group]] = {}
        self._loops: dict[int, asyncio.Task[None]] = {}
        self._loading: dict[tuple[str, ...], asyncio.Future[SnapshotLoad]] = {}
        self._phases = max(1, self.config.flush_phases)
        self._next_phase = 0

    # ---- input -------------------------------------------------------------------------
    def on_tick(self, tick: HubTick) -> None:
        self.stats.ticks_in += 1
        if tick.late:
            self.stats.ticks_late += 1
            return
        current = self.latest.get(tick.instrument_id)
        if current is not None and current.sequence >= tick.sequence:
            self.stats.ticks_stale_seq += 1
            return
        self._store(tick)

    def _store(self, tick: HubTick) -> None:
        self.latest[tick.instrument_id] = tick
        if self.stale.get(tick.instrument_id):
            self.stale[tick.instrument_id] = False
        for group in self._by_instrument.get(tick.instrument_id, ()):
            group.dirty.add(tick.instrument_id)
            self.stats.group_arrivals += 1

    # ---- subscriptions -----------------------------------------------------------------
    async def subscribe(self, key: SelectionKey) -> Subscription:
        """Join (or create) the selection's group; the first frame out is its snapshot."""
        load = await self._load_missing(key.instruments)
        group = self._groups.get(key) or self._new_group(key)
        if not load.available:
            group.snapshot_available, group.unavailable_reason = False, load.reason
        elif all(i in self.latest for i in key.instruments):
            group.snapshot_available, group.unavailable_reason = True, None
        outbox = Outbox(self.config.max_queue_depth, lambda: self.snapshot_frame(group), self.stats)
        group.subscribers.add(outbox)
        # No await between joining and taking the snapshot: every later tick lands in the
        # group's next increment (seq + 1), so the subscriber sees no gap.
        outbox.offer(self.snapshot_frame(group))
        self._ensure_loop(key.rate_hz)
        return Subscription(group, outbox)

    def unsubscribe(self, sub: Subscription) -> None:
        sub.outbox.close()
        group = sub.group
        group.subscribers.discard(sub.outbox)
        if not group.subscribers and self._groups.get(group.key) is group:
            del self._groups[group.key]
            for iid in group.key.instruments:
                self._by_instrument.get(iid, set()).discard(group)

    def _new_group(self, key: SelectionKey) -> Group:
        # Round robin keeps the slots balanced by group count as selections come and go.
        group = Group(key, phase=self._next_phase)
        self._next_phase = (self._next_phase + 1) % self._phases
        self._groups[key] = group
        for iid in key.instruments:
            self._by_instrument.setdefault(iid, set()).add(group)
        return group

    async def _load_missing(self, instrument_ids: Sequence[str]) -> SnapshotLoad:
        """Read what the hub has not seen from the store. Thousands of sessions subscribe at
        once after a restart, mostly to the same few selections: concurrent callers missing
        the same instruments share one read (it exhausted the Redis pool without this)."""
        missing = tuple(i for i in instrument_ids if i not in self.latest)
        if not missing or self._snapshots is None:
            return SnapshotLoad(True)
        pending = self._loading.get(missing)
        if pending is None:
            pending = asyncio.ensure_future(self._read(missing))
            self._loading[missing] = pending
            pending.add_done_callback(lambda _: self._loading.pop(missing, None))
        return await asyncio.shield(pending)  # one caller cancelled must not cancel the rest

    async def _read(self, missing: Sequence[str]) -> SnapshotLoad:
        assert self._snapshots is not None
        load = await self._snapshots.load(missing)
        if not load.available:
            self.stats.snapshot_failures += 1
        for tick in load.ticks:
            current = self.latest.get(tick.instrument_id)
            if current is None or current.sequence < tick.sequence:
                self._store(tick)
        return load

    async def snapshot(self, instrument_ids: Sequence[str]) -> tuple[SnapshotLoad, list[HubTick]]:
        """Latest values for a query (no subscription): memory first, the store for the rest."""
        load = await self._load_missing(instrument_ids)
        return load, [self.latest[i] for i in instrument_ids if i in self.latest]

    # ---- frames ------------------------------------------------------------------------
    def snapshot_frame(self, group: Group) -> Frame:
        """Latest value of each instrument of the group at its current seq (cached per seq)."""
        cached = group.cached_snapshot
        if cached is not None and cached.seq == group.seq:
            return cached
        ticks = [self.latest[i] for i in group.key.instruments if i in self.latest]
        frame = self._frame(group, SNAPSHOT, ticks)
        group.cached_snapshot = frame
        return frame

    def _frame(self, group: Group, kind: str, ticks: list[HubTick]) -> Frame:
        self.stats.frames_built += 1
        oldest = min((t.receive_ts_ns for t in ticks), default=self._now())
        # Copy the flags: a frame is encoded later (lazily) and must show the state at build time.
        stale = {t.instrument_id: self.stale.get(t.instrument_id, False) for t in ticks}
        prev: dict[str, int | None] = {}
        if kind == INCREMENT:
            for t in ticks:
                prev[t.instrument_id] = group.sent.get(t.instrument_id)
                group.sent[t.instrument_id] = t.sequence
        return Frame(
            group.key,
            kind,
            group.seq,
            ticks,
            stale,
            prev,
            group.snapshot_available,
            group.unavailable_reason,
            oldest,
            self.stats,
        )

    def flush(self, rate_hz: int, phase: int | None = None) -> int:
        """Build one increment per dirty group of this rate (only those of `phase` when given)
        and offer it to every subscriber."""
        if phase is None or phase == 0:  # staleness is a seconds-scale check: once per period
            self._check_stale()
        frames = 0
        for group in list(self._groups.values()):
            if group.key.rate_hz != rate_hz or not group.dirty:
                continue
            if phase is not None and group.phase != phase:
                continue
            ticks = [self.latest[i] for i in sorted(group.dirty)]
            group.dirty.clear()
            group.seq += 1
            self.stats.updates_emitted += len(ticks)
            frame = self._frame(group, INCREMENT, ticks)
            written = 0
            for outbox in group.subscribers:
                written += outbox.deliver(frame)
            if written:  # one latency reading for every socket written at this instant
                ms = (self._now() - frame.oldest_receive_ns) / 1e6
                self.stats.latency.observe(ms, written)
                self.stats.deliveries += written
                self.stats.direct_writes += written
            frames += 1
        return frames

    def _check_stale(self) -> None:
        now = self._now()
        for iid, groups in self._by_instrument.items():
            tick = self.latest.get(iid)
            if tick is None or not groups:
                continue
            stale = now - tick.receive_ts_ns > self.config.stale_after_ns
            if stale != self.stale.get(iid, False):
                self.stale[iid] = stale
                for group in groups:
                    group.dirty.add(iid)

    # ---- timers ------------------------------------------------------------------------
    def _ensure_loop(self, rate_hz: int) -> None:
        task = self._loops.get(rate_hz)
        if task is None or task.done():
            self._loops[rate_hz] = asyncio.create_task(self._flush_loop(rate_hz))

    async def _flush_loop(self, rate_hz: int) -> None:
        slot = 1.0 / rate_hz / self._phases
        loop = asyncio.get_running_loop()
        next_at = loop.time() + slot
        phase = 0
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            self.flush(rate_hz, phase)
            phase = (phase + 1) % self._phases
            # Fixed cadence without drift; if the loop fell behind, skip rather than burst.
            next_at = max(next_at + slot, loop.time())

    async def close(self) -> None:
        for task in self._loops.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops.clear()

    def queue_depths(self) -> list[int]:
        return [len(o) for g in self._groups.values() for o in g.subscribers]

"""Fan-out hub: shared frames per selection, snapshot then gapless increments, coalescing,
slow-consumer resync, stale flags, late ticks, snapshot unavailability."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from bff.streaming.hub import HubConfig, MarketDataHub, SnapshotLoad
from bff.streaming.model import INCREMENT, SNAPSHOT, Frame, HubTick, SelectionKey

S = 1_000_000_000


class FakeNow:
    def __init__(self) -> None:
        self.ns = 1_000 * S

    def __call__(self) -> int:
        return self.ns


def tick(iid: str, seq: int, bid: str = "1.1", at: int = 1_000 * S, late: bool = False) -> HubTick:
    return HubTick(iid, bid, "9.9", "5.5", seq, at, at, 0, late)


async def take(hub_sub: object, n: int) -> list[Frame]:
    from bff.streaming.hub import Subscription

    assert isinstance(hub_sub, Subscription)
    out: list[Frame] = []
    for _ in range(n):
        frame = await hub_sub.outbox.get()
        assert frame is not None
        out.append(frame)
    return out


def decoded(frame: Frame) -> dict[str, object]:
    data = orjson.loads(frame.payload)["data"]["marketData"]
    assert isinstance(data, dict)
    return data


async def test_subscribers_of_one_selection_get_the_same_frame_encoded_once() -> None:
    hub = MarketDataHub(now_ns=FakeNow())
    key = SelectionKey.of(["A", "B"])
    subs = [await hub.subscribe(key) for _ in range(50)]
    hub.on_tick(tick("A", 1))
    assert hub.flush(10) == 1
    pairs = [await take(s, 2) for s in subs]
    frames = [increment for _, increment in pairs]
    assert all(f is frames[0] for f in frames)
    assert all(snapshot is pairs[0][0] for snapshot, _ in pairs)
    payloads = {id(f.payload) for pair in pairs for f in pair}
    assert len(payloads) == 2
    # One encoding for the shared snapshot (cached per seq) and one for the increment.
    assert hub.stats.payload_encodes == 2
    await hub.close()


async def test_snapshot_first_then_increments_with_consecutive_seq_for_a_late_joiner() -> None:
    hub = MarketDataHub(now_ns=FakeNow())
    key = SelectionKey.of(["A"])
    early = await hub.subscribe(key)
    for seq in range(1, 4):
        hub.on_tick(tick("A", seq, bid=f"1.{seq}"))
        hub.flush(10)
    late = await hub.subscribe(key)
    hub.on_tick(tick("A", 4, bid="1.4"))
    hub.flush(10)
    early_frames = await take(early, 5)
    late_frames = await take(late, 2)
    assert [f.kind for f in early_frames] == [SNAPSHOT] + [INCREMENT] * 4
    assert [f.seq for f in early_frames] == [0, 1, 2, 3, 4]
    assert [(f.kind, f.seq) for f in late_frames] == [(SNAPSHOT, 3), (INCREMENT, 4)]
    snapshot_ticks = decoded(late_frames[0])["ticks"]
    assert isinstance(snapshot_ticks, list)
    assert snapshot_ticks[0]["bid"] == "1.3"
    await hub.close()


async def test_bursts_are_coalesced_to_the_latest_value_per_flush() -> None:
    hub = MarketDataHub(now_ns=FakeNow())
    sub = await hub.subscribe(SelectionKey.of(["A", "B"]))
    for seq in range(1, 101):
        hub.on_tick(tick("A", seq, bid=f"1.{seq}"))
    hub.on_tick(tick("B", 1))
    hub.flush(10)
    _, increment = await take(sub, 2)
    ticks = decoded(increment)["ticks"]
    assert isinstance(ticks, list)
    assert [(t["instrumentId"], t["sequence"]) for t in ticks] == [("A", 100), ("B", 1)]
    assert hub.stats.coalescing_ratio == 101 / 2
    await hub.close()


async def test_slow_consumer_is_resynced_with_latest_values_and_never_blocks_others() -> None:
    hub = MarketDataHub(config=HubConfig(max_queue_depth=4), now_ns=FakeNow())
    key = SelectionKey.of(["A"])
    slow = await hub.subscribe(key)
    fast = await hub.subscribe(key)
    fast_seen: list[Frame] = []
    for seq in range(1, 21):
        hub.on_tick(tick("A", seq, bid=f"2.{seq}"))
        hub.flush(10)  # synchronous: the hub never waits for a subscriber
        fast_seen += await take(fast, 1)
    assert [f.seq for f in fast_seen] == list(range(0, 20))
    assert len(slow.outbox) <= 4
    frames: list[Frame] = []
    while len(slow.outbox) or not frames:
        frames += await take(slow, 1)
    resync = frames[0]
    assert resync.kind == SNAPSHOT
    ticks = decoded(resync)["ticks"]
    assert isinstance(ticks, list)
    assert ticks[0]["sequence"] >= 17
    assert frames[-1].seq == 20
    assert hub.stats.frames_dropped > 0
    assert hub.stats.resyncs == 1
    await hub.close()


async def test_silent_instrument_is_flagged_stale_then_cleared_by_next_tick() -> None:
    now = FakeNow()
    hub = MarketDataHub(config=HubConfig(stale_after_ns=2 * S), now_ns=now)
    sub = await hub.subscribe(SelectionKey.of(["A"]))
    hub.on_tick(tick("A", 1, at=now.ns))
    hub.flush(10)
    now.ns += 3 * S
    hub.flush(10)
    hub.on_tick(tick("A", 2, at=now.ns))
    hub.flush(10)
    frames = await take(sub, 4)
    flags = [decoded(f)["ticks"][0]["stale"] for f in frames[1:]]  # type: ignore[index]
    assert flags == [False, True, False]
    await hub.close()


async def test_late_and_replayed_ticks_do_not_replace_the_latest_value() -> None:
    hub = MarketDataHub(now_ns=FakeNow())
    hub.on_tick(tick("A", 5, bid="1.5"))
    hub.on_tick(tick("A", 4, bid="1.4"))
    hub.on_tick(tick("A", 6, bid="1.6", late=True))
    assert hub.latest["A"].bid == "1.5"
    assert (hub.stats.ticks_in, hub.stats.ticks_late, hub.stats.ticks_stale_seq) == (3, 1, 1)


class Snapshots:
    def __init__(self, available: bool) -> None:
        self.available = available
        self.calls: list[Sequence[str]] = []

    async def load(self, instrument_ids: Sequence[str]) -> SnapshotLoad:
        self.calls.append(list(instrument_ids))
        if not self.available:
            return SnapshotLoad(False, reason="snapshot unavailable: ConnectionError")
        return SnapshotLoad(True, [tick(i, 7) for i in instrument_ids])


async def test_snapshot_comes_from_the_store_for_instruments_not_seen_yet() -> None:
    source = Snapshots(available=True)
    hub = MarketDataHub(source, now_ns=FakeNow())
    hub.on_tick(tick("A", 1))
    sub = await hub.subscribe(SelectionKey.of(["A", "B"]))
    (snap,) = await take(sub, 1)
    assert source.calls == [["B"]]
    assert decoded(snap)["snapshotAvailable"] is True
    assert [t.instrument_id for t in snap.ticks] == ["A", "B"]
    await hub.close()


async def test_store_down_gives_explicit_unavailable_snapshot_and_stream_continues() -> None:
    hub = MarketDataHub(Snapshots(available=False), now_ns=FakeNow())
    sub = await hub.subscribe(SelectionKey.of(["A"]))
    hub.on_tick(tick("A", 1))
    hub.flush(10)
    snap, inc = await take(sub, 2)
    data = decoded(snap)
    assert (data["snapshotAvailable"], data["ticks"]) == (False, [])
    assert data["unavailableReason"] == "snapshot unavailable: ConnectionError"
    assert decoded(inc)["ticks"][0]["sequence"] == 1  # type: ignore[index]
    assert hub.stats.snapshot_failures == 1
    await hub.close()


async def test_different_field_selections_form_different_groups_with_their_own_shape() -> None:
    hub = MarketDataHub(now_ns=FakeNow())
    narrow = await hub.subscribe(SelectionKey.of(["A"], ["seq", "ticks"], ["instrumentId", "bid"]))
    wide = await hub.subscribe(SelectionKey.of(["A"]))
    hub.on_tick(tick("A", 1))
    hub.flush(10)
    (_, n), (_, w) = await take(narrow, 2), await take(wide, 2)
    assert n is not w
    assert decoded(n) == {"seq": 1, "ticks": [{"instrumentId": "A", "bid": "1.1"}]}
    assert set(decoded(w)) == {"kind", "seq", "snapshotAvailable", "unavailableReason", "ticks"}
    await hub.close()


async def test_unsubscribing_the_last_member_removes_the_group() -> None:
    hub = MarketDataHub(now_ns=FakeNow())
    sub = await hub.subscribe(SelectionKey.of(["A"]))
    hub.unsubscribe(sub)
    assert await sub.outbox.get() is None
    hub.on_tick(tick("A", 1))
    assert hub.flush(10) == 0
    assert hub.queue_depths() == []
    await hub.close()


async def test_a_herd_of_subscribers_missing_the_same_instruments_reads_the_store_once() -> None:
    import asyncio

    source = Snapshots(available=True)
    hub = MarketDataHub(source, now_ns=FakeNow())
    subs = await asyncio.gather(*(hub.subscribe(SelectionKey.of(["A", "B"])) for _ in range(50)))
    assert source.calls == [["A", "B"]]
    for sub in subs:
        (snap,) = await take(sub, 1)
        assert [t.instrument_id for t in snap.ticks] == ["A", "B"]
    assert await hub.subscribe(SelectionKey.of(["A", "C"])) is not None
    assert source.calls == [["A", "B"], ["C"]]  # later reads ask only for what is still unseen
    await hub.close()


async def test_groups_flush_in_their_own_slot_of_the_period() -> None:
    hub = MarketDataHub(now_ns=FakeNow(), config=HubConfig(flush_phases=2))
    first = await hub.subscribe(SelectionKey.of(["A"]))
    second = await hub.subscribe(SelectionKey.of(["B"]))
    assert {first.group.phase, second.group.phase} == {0, 1}
    hub.on_tick(tick("A", 1))
    hub.on_tick(tick("B", 1))
    in_a = first if first.group.phase == 0 else second
    in_b = second if in_a is first else first
    assert hub.flush(10, phase=0) == 1  # only slot 0's group; the other keeps its ticks
    assert in_a.group.seq == 1
    assert in_b.group.seq == 0
    assert in_b.group.dirty
    assert hub.flush(10, phase=1) == 1
    assert in_b.group.seq == 1
    assert hub.flush(10) == 0  # nothing left dirty in any slot
    await hub.close()


async def test_the_timer_gives_every_group_one_increment_per_period() -> None:
    import asyncio

    hub = MarketDataHub(config=HubConfig(flush_phases=4))
    subs = [await hub.subscribe(SelectionKey.of([f"I{n}"], rate_hz=20)) for n in range(4)]
    assert sorted(s.group.phase for s in subs) == [0, 1, 2, 3]
    for n in range(4):
        hub.on_tick(tick(f"I{n}", 1))
    await asyncio.sleep(0.2)  # four periods of 50 ms: each slot has come round
    for sub in subs:
        snapshot, increment = await take(sub, 2)
        assert (snapshot.kind, increment.kind) == (SNAPSHOT, INCREMENT)
        assert increment.seq == 1
    await hub.close()

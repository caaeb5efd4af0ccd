"""Which RFQs just changed: the RFQ lifecycle topic read by key, so `rfqUpdates` is pushed.

Every state change of an RFQ (created, quote received, accepted, traded, ...) is a fact on
`<env>.rfq.lifecycle.v1` keyed by its rfq id. This process reads every partition from the end
(a fresh consumer group of its own, nothing committed: like the market-data feed) and wakes the
subscriptions watching that id; they then read the RFQ once from the RFQ service, which stays
the source of truth. Only keys are looked at: no envelope is decoded for an RFQ nobody watches.
`watch_tenant` wakes on any change of a tenant's RFQs (the record's tenant header), for the
blotters: they read the tenant's RFQ list when something changed instead of on a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uuid_utils

from core.settings import Settings
from eventbus.bus import ConsumerConfig, EventBus
from eventbus.envelope import H_TENANT
from eventbus.topics import topic_name

log = logging.getLogger("bff.rfq_feed")
RETRY_S = 2.0


class RfqChangeFeed:
    """`watch(rfq_id)` gives an Event set on every change of that RFQ (while `live`)."""

    def __init__(self, bus: EventBus, env: str) -> None:
        self._bus = bus
        self._topic = topic_name("rfq.lifecycle.v1", env)
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._tenant_watchers: dict[str, set[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.live = asyncio.Event()  # set once the consumer reads: until then, callers poll
        self.woken = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> RfqChangeFeed:
        from eventbus.factory import create_bus

        return cls(create_bus(settings, client_id="bff-rfq-feed"), settings.env)

    @contextlib.contextmanager
    def watch(self, rfq_id: str) -> Iterator[asyncio.Event]:
        """Register before reading the RFQ, so no change between the read and the wait is lost."""
        with self._watch(self._watchers, rfq_id) as changed:
            yield changed

    @contextlib.contextmanager
    def watch_tenant(self, tenant_id: str) -> Iterator[asyncio.Event]:
        """An Event set on every change of any RFQ of `tenant_id` (register before reading)."""
        with self._watch(self._tenant_watchers, tenant_id) as changed:
            yield changed

    @contextlib.contextmanager
    def _watch(self, table: dict[str, set[asyncio.Event]], key: str) -> Iterator[asyncio.Event]:
        self._ensure_running()
        changed = asyncio.Event()
        table.setdefault(key, set()).add(changed)
        try:
            yield changed
        finally:
            watchers = table.get(key)
            if watchers is not None:
                watchers.discard(changed)
                if not watchers:
                    del table[key]

    def watching(self) -> int:
        """How many RFQs have a watcher (bounded by the open subscriptions)."""
        return len(self._watchers)

    def notify(self, rfq_id: str, tenant_id: str | None = None) -> None:
        for changed in self._watchers.get(rfq_id, ()):
            changed.set()
            self.woken += 1
        for changed in self._tenant_watchers.get(tenant_id or "", ()):
            changed.set()

    def _ensure_running(self) -> None:
        # Started by the first subscription, on the serving loop (the app may be built earlier).
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self._consume()
            except Exception:  # the subscriptions fall back to polling meanwhile
                self.live.clear()
                log.exception("rfq change feed failed; retrying in %.0f s", RETRY_S)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), RETRY_S)

    async def _consume(self) -> None:
        await self._bus.start()
        config = ConsumerConfig(
            group_id=f"bff-rfq-feed-{uuid_utils.uuid7()}",
            topics=[self._topic],
            start_from="latest",
            client_id="bff-rfq-feed",
        )
        consumer = self._bus.consumer(config)
        await consumer.start()
        try:
            while not self._stop.is_set():
                records = await consumer.poll(timeout_ms=200)
                self.live.set()  # assigned and reading: changes from now on are seen
                tenants = bool(self._tenant_watchers)  # the header is read only if needed
                for record in records:
                    tenant = record.header(H_TENANT) if tenants else None
                    self.notify(record.key.decode(), tenant)
        finally:
            await consumer.stop()

    async def close(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._bus.stop()
        # Ready to run again if the same config serves another app (tests restart BFFs).
        self._stop, self.live = asyncio.Event(), asyncio.Event()


async def next_change(
    feed: RfqChangeFeed | None,
    changed: asyncio.Event | None,
    *,
    poll_s: float,
    timeout_s: float,
    not_before: float,
) -> None:
    """A subscription's wait for its next read. Without a live feed: one polling interval
    (`poll_s`). With one: until `changed` is set or `timeout_s` passes (a missed fact costs that
    much, never a stale screen), and never before `not_before` (loop time), so a burst of facts
    costs one read; changes during that wait are seen by the read that follows."""
    if feed is None or changed is None or not feed.live.is_set():
        await asyncio.sleep(poll_s)  # every loop awaits: never starve the event loop
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(changed.wait(), timeout_s)
    gap = not_before - asyncio.get_running_loop().time()
    if gap > 0:
        await asyncio.sleep(gap)

"""Which RFQs just changed: the RFQ lifecycle topic read by key, so `rfqUpdates` is pushed.

Every state change of an RFQ (created, quote received, accepted, traded, ...) is a fact on
`<env>.rfq.lifecycle.v1` keyed by its rfq id. This process reads every partition from the end
(a fresh consumer group of its own, nothing committed: like the market-data feed) and wakes the
subscriptions watching that id; they then read the RFQ once from the RFQ service, which stays
the source of truth. Only keys are looked at: no envelope is decoded for an RFQ nobody watches.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uuid_utils

from core.settings import Settings
from eventbus.bus import ConsumerConfig, EventBus
from eventbus.topics import topic_name

log = logging.getLogger("bff.rfq_feed")
RETRY_S = 2.0


class RfqChangeFeed:
    """`watch(rfq_id)` gives an Event set on every change of that RFQ (while `live`)."""

    def __init__(self, bus: EventBus, env: str) -> None:
        self._bus = bus
        self._topic = topic_name("rfq.lifecycle.v1", env)
        self._watchers: dict[str, set[asyncio.Event]] = {}
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
        self._ensure_running()
        changed = asyncio.Event()
        self._watchers.setdefault(rfq_id, set()).add(changed)
        try:
            yield changed
        finally:
            watchers = self._watchers.get(rfq_id)
            if watchers is not None:
                watchers.discard(changed)
                if not watchers:
                    del self._watchers[rfq_id]

    def watching(self) -> int:
        """How many RFQs have a watcher (bounded by the open subscriptions)."""
        return len(self._watchers)

    def notify(self, rfq_id: str) -> None:
        for changed in self._watchers.get(rfq_id, ()):
            changed.set()
            self.woken += 1

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
                for record in records:
                    self.notify(record.key.decode())
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

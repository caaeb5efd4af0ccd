"""The LP bot process: five simulated LPs on the bus, mids from market data (or reference)."""

from __future__ import annotations

import asyncio

from core.db import utc_now
from core.settings import Profile, Settings
from eventbus.bus import EventBus
from eventbus.factory import create_bus
from eventbus.known_events import load_all
from eventbus.readmodel import ReadModelStore, RedisReadModelStore
from eventbus.topics import TOPICS
from services.lp_bots.bot import LpBot
from services.lp_bots.mids import MidBoard
from services.lp_bots.profiles import REFERENCE_MIDS, default_lps
from services.lp_bots.runner import LpBotService

# Register every event type before anything encodes or decodes one.
load_all()
TOPIC_NAMES = ("rfq.lifecycle.v1", "rfq.quotes.v1", "execution.trades.v1")


def _snapshot_store(settings: Settings) -> ReadModelStore | None:
    if settings.profile is Profile.EMBEDDED:
        return None
    import redis.asyncio as redis

    return RedisReadModelStore(redis.from_url(settings.effective_redis_url()))


class LpBotsProcess:
    def __init__(self, settings: Settings, seed: int = 0, start_from: str = "latest") -> None:
        self.settings = settings
        self.bus: EventBus = create_bus(settings, client_id="lp-bots")
        self.mids = MidBoard(
            REFERENCE_MIDS, _snapshot_store(settings), idle_interval_s=1.0, full_every_s=5.0
        )
        bots = [LpBot(config) for config in default_lps(seed)]
        self.service = LpBotService(
            bots,
            self.bus,
            env=settings.env,
            mids=self.mids,
            clock=utc_now,
            group=f"lp-bots-{settings.env}",
            start_from=start_from,
        )
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.bus.start()
        await self.bus.ensure_topics([TOPICS[n].spec(self.settings.env) for n in TOPIC_NAMES])
        self._tasks = [
            # The poll returns as soon as records arrive; its timeout only bounds how late a
            # stop is seen, and each idle round was a wake-up (20 a second at 50 ms).
            asyncio.create_task(self.service.run(self._stop, poll_timeout_ms=500)),
            asyncio.create_task(self.mids.run(self._stop)),
        ]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bus.stop()

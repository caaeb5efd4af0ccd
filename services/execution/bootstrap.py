"""The execution process: QuoteAccepted consumer and the outbox relay (profile embedded | real)."""

from __future__ import annotations

import asyncio

from core.db import Database, utc_now
from core.settings import Profile, Settings
from eventbus.bus import EventBus
from eventbus.consumer import ConsumerRunner, ConsumerSpec
from eventbus.factory import create_bus
from eventbus.known_events import load_all
from eventbus.readmodel import MemoryReadModelStore, ReadModelStore, RedisReadModelStore
from eventbus.relay import OutboxRelay
from eventbus.topics import TOPICS, topic_name
from services.execution.handlers import consumer_spec
from services.execution.projections import project as project_trade

# Register every event type before anything encodes or decodes one.
load_all()
TOPIC_NAMES = ("rfq.lifecycle.v1", "execution.trades.v1")


def _blotter_store(settings: Settings) -> ReadModelStore:
    """rm_trade_blotter lives in Redis on the real profile, in memory on the embedded one."""
    if settings.profile is Profile.EMBEDDED:
        return MemoryReadModelStore()
    import redis.asyncio as redis

    return RedisReadModelStore(redis.from_url(settings.effective_redis_url()))


class ExecutionProcess:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database.from_settings(settings)
        self.bus: EventBus = create_bus(settings, client_id="execution-service")
        self.runner = ConsumerRunner(
            consumer_spec(settings.env, utc_now, group=f"execution-service-{settings.env}"),
            self.bus,
            env=settings.env,
            db=self.db,
        )
        self.blotter = _blotter_store(settings)
        spec = ConsumerSpec(
            name=f"rm-trade-blotter-{settings.env}",
            topics=[topic_name("execution.trades.v1", settings.env)],
            projector=project_trade,
        )
        self.projector = ConsumerRunner(spec, self.bus, env=settings.env, store=self.blotter)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.db.create_all()
        await self.bus.start()
        await self.bus.ensure_topics([TOPICS[n].spec(self.settings.env) for n in TOPIC_NAMES])
        relay = OutboxRelay(self.db, self.bus, poll_interval_s=0.2)
        self._tasks = [
            asyncio.create_task(relay.run(self._stop)),
            asyncio.create_task(self.runner.run(self._stop, poll_timeout_ms=100)),
            asyncio.create_task(self.projector.run(self._stop, poll_timeout_ms=100)),
        ]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bus.stop()
        await self.db.dispose()

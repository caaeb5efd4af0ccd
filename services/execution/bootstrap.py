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
from services.event_filter import SelectiveBus
from services.execution.handlers import WANTED, consumer_spec
from services.execution.projections import project as project_trade
from services.identity.db_roles import EXECUTION_ROLE, RELAY_ROLE, migrate

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
        # Its own role on Postgres (no table owned, no BYPASSRLS); the relay has another.
        self.db = Database.for_role(settings, EXECUTION_ROLE)
        self.relay_db = (
            Database.for_role(settings, RELAY_ROLE, pool_size=2) if self.db.is_postgres else self.db
        )
        self.bus: EventBus = create_bus(settings, client_id="execution-service")
        # Only QuoteAccepted of the lifecycle topic reaches the runner: the other ~9 events of an
        # RFQ were each claimed in processed_events in a transaction of their own, for nothing.
        self.runner = ConsumerRunner(
            consumer_spec(settings.env, utc_now, group=f"execution-service-{settings.env}"),
            SelectiveBus(self.bus, WANTED),
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
        await migrate(self.settings, self.db)
        await self.bus.start()
        await self.bus.ensure_topics([TOPICS[n].spec(self.settings.env) for n in TOPIC_NAMES])
        # Not LISTENing: every service's NOTIFY on the shared outbox table (~9 per RFQ from the
        # RFQ service) cost it an empty claim transaction, ~15 % of the process's CPU (ADR 0019).
        # Woken in-process after each trade commit; the poll is only a fallback (each one is a
        # claim transaction) that also picks up rows another process's relay left behind.
        relay = OutboxRelay(self.relay_db, self.bus, poll_interval_s=1.0, listen=False)
        self._tasks = [
            asyncio.create_task(relay.run(self._stop)),
            # Polls return as soon as records arrive; the timeout only bounds seeing a stop.
            asyncio.create_task(self.runner.run(self._stop, poll_timeout_ms=500)),
            asyncio.create_task(self.projector.run(self._stop, poll_timeout_ms=500)),
        ]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bus.stop()
        await self.db.dispose()
        if self.relay_db is not self.db:
            await self.relay_db.dispose()

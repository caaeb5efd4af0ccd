"""The RFQ process: the one place its adapters are chosen (profile embedded | real)."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

from grpc import aio

from core.db import Database, utc_now
from core.settings import Profile, Settings
from eventbus.bus import EventBus
from eventbus.consumer import ConsumerRunner, ConsumerSpec
from eventbus.factory import create_bus
from eventbus.known_events import load_all
from eventbus.readmodel import MemoryReadModelStore, ReadModelStore, RedisReadModelStore
from eventbus.relay import OutboxRelay
from eventbus.topics import TOPICS, topic_name
from services.identity.db_roles import RELAY_ROLE, RFQ_EXPIRY_ROLE, RFQ_ROLE, migrate
from services.lp_bots.mids import MidBoard
from services.lp_bots.profiles import REFERENCE_MIDS, default_lps
from services.rfq.consumers import COMMIT_INTERVAL_S, consumer_spec
from services.rfq.handlers import RfqDeps
from services.rfq.projections import project as project_blotter
from services.rfq.risk import RateLimiter, RiskLimits
from services.rfq.routing import LpProfile, Router
from services.rfq.server import start_server
from services.rfq.staging import Clock
from services.rfq.timers import ExpiryTimers

log = logging.getLogger(__name__)
# Register every event type before anything encodes or decodes one.
load_all()
TOPIC_NAMES = ("rfq.lifecycle.v1", "rfq.quotes.v1", "execution.trades.v1")
# Desk-wide defaults until limits come from the admin service.
MID_REFRESH_S = 1.0
RELAY_POLL_S = 1.0
CONSUMER_POLL_MS = 500
DEFAULT_LIMITS = RiskLimits(max_notional=Decimal("50000000"), rfq_rate_per_s=50.0, rfq_burst=100.0)


def redis_store(settings: Settings) -> ReadModelStore | None:
    """Read models live in Redis on the real profile; None on the embedded one."""
    if settings.profile is Profile.EMBEDDED:
        return None
    import redis.asyncio as redis

    return RedisReadModelStore(redis.from_url(settings.effective_redis_url()))


def blotter_runner(settings: Settings, bus: EventBus, store: ReadModelStore) -> ConsumerRunner:
    """The rm_rfq_blotter projector (sequence-guarded; `orion replay` rebuilds it)."""
    spec = ConsumerSpec(
        name=f"rm-rfq-blotter-{settings.env}",
        topics=[topic_name("rfq.lifecycle.v1", settings.env)],
        projector=project_blotter,
        # Sequence-guarded writes: a redelivery is a no-op, so commits can wait (ADR 0018).
        commit_interval_s=COMMIT_INTERVAL_S,
    )
    return ConsumerRunner(spec, bus, env=settings.env, store=store)


def build_deps(settings: Settings, db: Database, mids: MidBoard, clock: Clock = utc_now) -> RfqDeps:
    return RfqDeps(
        db=db,
        env=settings.env,
        clock=clock,
        router=Router(tuple(LpProfile(lp.lp_id) for lp in default_lps())),
        limiter=RateLimiter(DEFAULT_LIMITS),
        # The BFF enforces the user's instrument entitlements from the token; the service
        # repeats the check through this hook (allow-all until identity exposes a lookup).
        entitlements=lambda _tenant, _user: {"*"},
        mids=mids,
    )


class RfqProcess:
    """Relay, quote/trade consumer, expiry timers, mid refresher and the gRPC server."""

    def __init__(self, settings: Settings, *, port: int | None = None) -> None:
        self.settings = settings
        host, _, default_port = settings.rfq_addr.rpartition(":")
        self.host, self.port = host, int(default_port) if port is None else port
        # Its own role on Postgres (no table owned, no BYPASSRLS); the relay has another.
        self.db = Database.for_role(settings, RFQ_ROLE)
        self.relay_db = (
            Database.for_role(settings, RELAY_ROLE, pool_size=2) if self.db.is_postgres else self.db
        )
        self.bus: EventBus = create_bus(settings, client_id="rfq-service")
        store = redis_store(settings)
        # Mids come from the market-data snapshot when it is there (reference mids otherwise).
        # The RFQ keeps a mid only as its reference at creation (impact, notional check): once a
        # second is fresh enough, and each refresh is a SCAN + one HMGET per instrument (py-spy
        # under the RFQ benchmark: the 4-a-second default was the service's largest idle cost).
        self.mids = MidBoard(REFERENCE_MIDS, store, interval_s=MID_REFRESH_S)
        self.blotter = store or MemoryReadModelStore()
        self.deps = build_deps(settings, self.db, self.mids)
        self.timers = ExpiryTimers(self.deps)
        self.deps.on_open = self.timers.arm
        self.deps.on_close = self.timers.disarm
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._server: aio.Server | None = None

    async def start(self) -> int:
        await migrate(self.settings, self.db)
        await self.bus.start()
        await self.bus.ensure_topics([TOPICS[n].spec(self.settings.env) for n in TOPIC_NAMES])
        rearmed = await self._rearm()
        # Groups are namespaced by env: environments sharing a cluster never share a group.
        group = f"rfq-service-{self.settings.env}"
        # Both consumers' effects are idempotent (processed_events; sequence-guarded rows), so
        # their specs commit Kafka offsets at most every COMMIT_INTERVAL_S.
        runner = ConsumerRunner(
            consumer_spec(self.deps, group=group), self.bus, env=self.settings.env, db=self.db
        )
        # Idle work only: every commit wakes the relay (NOTIFY on Postgres, in-process on SQLite),
        # so its poll just covers a lost wake-up; a consumer's poll returns as soon as records
        # arrive, so its timeout only bounds how often an idle loop goes round.
        self._tasks = [
            asyncio.create_task(
                OutboxRelay(self.relay_db, self.bus, poll_interval_s=RELAY_POLL_S).run(self._stop)
            ),
            asyncio.create_task(runner.run(self._stop, poll_timeout_ms=CONSUMER_POLL_MS)),
            asyncio.create_task(self.mids.run(self._stop)),
            asyncio.create_task(
                blotter_runner(self.settings, self.bus, self.blotter).run(
                    self._stop, CONSUMER_POLL_MS
                )
            ),
        ]
        self._server, self.port = await start_server(self.deps, self.host, self.port)
        log.info("rfq service up", extra={"port": self.port, "timers_rearmed": rearmed})
        return self.port

    async def _rearm(self) -> int:
        """Timers for every tenant's open RFQs, read once through the expiry role's pool."""
        if not self.db.is_postgres:
            return await self.timers.rearm()
        scan = Database.for_role(self.settings, RFQ_EXPIRY_ROLE, pool_size=1)
        try:
            return await self.timers.rearm(scan)
        finally:
            await scan.dispose()

    async def stop(self, grace_s: float = 5.0) -> None:
        if self._server is not None:
            await self._server.stop(grace_s)
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.timers.close()
        await self.bus.stop()
        await self.db.dispose()
        if self.relay_db is not self.db:
            await self.relay_db.dispose()

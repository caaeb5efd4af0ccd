"""RFQ service, execution and LP bots, composed from each area's own parts over shared adapters.

The real profile runs `services.rfq.bootstrap.RfqProcess` and friends, each with its own relay;
here they share the platform's database, log and single relay (SQLite has one writer), so this
module wires the same handlers, consumers, timers and gRPC server without a second relay.
"""

from __future__ import annotations

from grpc import aio

from core.db import Database, utc_now
from core.health import ComponentHealth
from core.platform import ports
from core.platform.component import Jobs
from core.settings import Settings
from eventbus.bus import EventBus
from eventbus.consumer import ConsumerRunner, ConsumerSpec
from eventbus.readmodel import ReadModelStore
from eventbus.topics import topic_name
from services.execution.handlers import consumer_spec as execution_spec
from services.execution.projections import project as project_trade
from services.lp_bots.bot import LpBot
from services.lp_bots.mids import MidBoard
from services.lp_bots.profiles import REFERENCE_MIDS, default_lps
from services.lp_bots.runner import LpBotService
from services.rfq.bootstrap import blotter_runner, build_deps
from services.rfq.consumers import consumer_spec as rfq_spec
from services.rfq.server import start_server
from services.rfq.timers import ExpiryTimers


def rfq_group(env: str) -> str:
    return f"rfq-service-{env}"


def execution_group(env: str) -> str:
    return f"execution-service-{env}"


def trade_blotter_group(env: str) -> str:
    return f"rm-trade-blotter-{env}"


class RfqComponent:
    """gRPC server, quote/trade consumer, expiry timers (re-armed), mids, rm_rfq_blotter."""

    name = "rfq"

    def __init__(
        self, settings: Settings, db: Database, bus: EventBus, store: ReadModelStore
    ) -> None:
        self.settings, self.bus, self.store = settings, bus, store
        self.mids = MidBoard(REFERENCE_MIDS, store)
        self.deps = build_deps(settings, db, self.mids)
        self.timers = ExpiryTimers(self.deps)
        self.deps.on_open = self.timers.arm
        self.jobs = Jobs(self.name)
        self.addr = ""
        self.rearmed = 0
        self._server: aio.Server | None = None

    async def start(self) -> None:
        rearmed = await self.timers.rearm()
        env = self.settings.env
        runner = ConsumerRunner(
            rfq_spec(self.deps, group=rfq_group(env)), self.bus, env=env, db=self.deps.db
        )
        blotter = blotter_runner(self.settings, self.bus, self.store)
        self.jobs.spawn("consumer", lambda stop: runner.run(stop, poll_timeout_ms=100))
        self.jobs.spawn("mids", self.mids.run)
        self.jobs.spawn("blotter", lambda stop: blotter.run(stop, 100))
        host, port = ports.split(ports.available(self.settings.rfq_addr))
        self._server, bound = await start_server(self.deps, host, port)
        self.addr = f"{host}:{bound}"
        self.rearmed = rearmed

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(2.0)  # in-flight commands finish, new ones are refused
        await self.jobs.stop()
        await self.timers.close()

    async def check(self) -> ComponentHealth:
        serving = await ports.grpc_serving(self.addr)
        health = self.jobs.health(
            f"gRPC {self.addr} serving={serving}, {self.timers.fired} expired"
        )
        return ComponentHealth(self.name, health.healthy and serving, health.detail)


class ExecutionComponent:
    """QuoteAccepted -> one trade (idempotent consumer) and the rm_trade_blotter projector."""

    name = "execution"

    def __init__(
        self, settings: Settings, db: Database, bus: EventBus, store: ReadModelStore
    ) -> None:
        env = settings.env
        spec = execution_spec(env, utc_now, group=execution_group(env))
        self.runner = ConsumerRunner(spec, bus, env=env, db=db)
        blotter = ConsumerSpec(
            name=trade_blotter_group(env),
            topics=[topic_name("execution.trades.v1", env)],
            projector=project_trade,
        )
        self.projector = ConsumerRunner(blotter, bus, env=env, store=store)
        self.jobs = Jobs(self.name)

    async def start(self) -> None:
        self.jobs.spawn("consumer", lambda stop: self.runner.run(stop, poll_timeout_ms=100))
        self.jobs.spawn("blotter", lambda stop: self.projector.run(stop, poll_timeout_ms=100))

    async def stop(self) -> None:
        await self.jobs.stop()

    async def check(self) -> ComponentHealth:
        return self.jobs.health("consuming QuoteAccepted")


class LpBotsComponent:
    """Five simulated LPs quoting off the market-data snapshot mids (reference mids otherwise)."""

    name = "lp-bots"

    def __init__(self, settings: Settings, bus: EventBus, store: ReadModelStore) -> None:
        self.mids = MidBoard(REFERENCE_MIDS, store)
        self.service = LpBotService(
            [LpBot(config) for config in default_lps(0)],
            bus,
            env=settings.env,
            mids=self.mids,
            clock=utc_now,
            group=f"lp-bots-{settings.env}",
        )
        self.jobs = Jobs(self.name)

    async def start(self) -> None:
        self.jobs.spawn("quoting", lambda stop: self.service.run(stop, poll_timeout_ms=50))
        self.jobs.spawn("mids", self.mids.run)

    async def stop(self) -> None:
        await self.jobs.stop()

    async def check(self) -> ComponentHealth:
        bots = ", ".join(self.service.bots)
        return self.jobs.health(f"{bots}; {self.service.quotes_sent} quotes sent")

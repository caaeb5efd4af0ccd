"""The BFF's Starlette application: three GraphQL subgraphs, health, readiness and metrics."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from bff.auth import TokenValidator
from bff.grpc.calls import CallPolicy
from bff.grpc.channels import DownstreamConfig, Downstreams
from bff.grpc.rfq_feed import RfqChangeFeed
from bff.limits import BodySizeLimit
from bff.ratelimit import RateLimiter
from bff.session.ws import SessionRegistry
from bff.settings import BffLimits
from bff.subgraphs import SUBGRAPHS, path_of
from bff.trace_context import TraceContext
from bff.view import SubgraphView
from core.db import Database
from core.health import ComponentHealth, HealthRegistry
from core.settings import Profile, Settings, get_settings
from core.tracing import configure_tracing
from eventbus.readmodel import ReadModelStore, RedisReadModelStore
from services.identity.db_roles import BFF_ROLE


class Streaming(Protocol):
    """The market-data hub (bff.streaming.app.StreamingServer) as the BFF mounts it."""

    def routes(self) -> list[BaseRoute]: ...

    def running(self) -> AbstractAsyncContextManager[Any]: ...


@dataclass(frozen=True)
class BffConfig:
    refdata_addr: str
    limits: BffLimits = field(default_factory=BffLimits)
    # None: bff.auth's validator configured from ORION_AUTH_* settings.
    validator: TokenValidator | None = None
    # Run the reference-data service inside this process (embedded profile, tests).
    embedded_refdata: bool = False
    tracing: bool = True
    # Mounts the hub's own socket (/graphql/stream) and runs its feed in this app's lifespan.
    streaming: Streaming | None = None
    # The RFQ service (createRfq, acceptQuote, rfqs...); None: those fields answer "unavailable".
    rfq_addr: str | None = None
    # Which RFQs changed (the lifecycle topic): pushes rfqUpdates; None: they poll the service.
    rfq_changes: RfqChangeFeed | None = None
    # Trade blotter read model: a store the host shares (embedded profile), else a Redis URL.
    read_models: ReadModelStore | None = None
    read_models_url: str | None = None
    # The audit trail's database (read only): a host-shared Database, else a URL.
    audit_db: Database | None = None
    audit_database_url: str | None = None
    # The identity service's gRPC API (uiPreferences, saveUiPreferences).
    identity_addr: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> BffConfig:
        embedded = settings.profile is Profile.EMBEDDED
        return cls(
            refdata_addr=settings.refdata_addr,
            limits=BffLimits.for_settings(settings),
            embedded_refdata=embedded,
            tracing=settings.otel_exporter != "none",
            rfq_addr=settings.rfq_addr,
            rfq_changes=None if embedded else RfqChangeFeed.from_settings(settings),
            read_models_url=None if embedded else settings.effective_redis_url(),
            # Its own role (SELECT on audit_log, tenant-bound by RLS), never the owner.
            audit_database_url=settings.database_url_for(BFF_ROLE),
            identity_addr=settings.identity_addr,
        )


@dataclass
class _Holder:
    """Filled in by the lifespan: views are built before the channels exist."""

    current: Downstreams | None = None
    embedded_server: Any = None
    redis_store: RedisReadModelStore | None = None
    audit_db: Database | None = None


def _health_routes(health: HealthRegistry) -> list[BaseRoute]:
    async def healthz(_: Request) -> JSONResponse:
        """Liveness: the process answers; each component's state is reported alongside."""
        report = await health.report()
        components = {c.name: {"healthy": c.healthy, "detail": c.detail} for c in report}
        status = "ok" if all(c.healthy for c in report) else "degraded"
        return JSONResponse({"status": status, "components": components})

    async def readyz(_: Request) -> JSONResponse:
        """Readiness: 503 until every component (downstreams included) is healthy."""
        report = await health.report()
        ready = all(c.healthy for c in report)
        body = {"ready": ready, "failing": [c.name for c in report if not c.healthy]}
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)]


def _register_downstream_health(health: HealthRegistry, downstreams: Downstreams) -> None:
    async def refdata() -> ComponentHealth:
        breaker = downstreams.refdata.downstream.breaker.state
        serving = await downstreams.refdata.serving()
        return ComponentHealth("refdata", serving, f"grpc serving={serving} circuit={breaker}")

    health.register("refdata", refdata)


def _read_models(cfg: BffConfig, holder: _Holder) -> ReadModelStore | None:
    """The host's store, or a Redis store (connects lazily) the shutdown closes."""
    if cfg.read_models is not None or cfg.read_models_url is None:
        return cfg.read_models
    holder.redis_store = RedisReadModelStore.from_url(cfg.read_models_url)
    return holder.redis_store


def _audit_db(cfg: BffConfig, holder: _Holder) -> Database | None:
    """The host's Database, or a small pool of our own (connects lazily) the shutdown disposes."""
    if cfg.audit_db is not None or cfg.audit_database_url is None:
        return cfg.audit_db
    holder.audit_db = Database.from_url(cfg.audit_database_url, pool_size=2)
    return holder.audit_db


async def _start_embedded_refdata(holder: _Holder, tracing: bool) -> str:
    from services.refdata.server import start_server

    server, port = await start_server("127.0.0.1", 0, tracing=tracing)
    holder.embedded_server = server
    return f"127.0.0.1:{port}"


async def _shutdown(cfg: BffConfig, holder: _Holder, sessions: SessionRegistry) -> None:
    """Drain sessions with a close code first, then close channels and embedded servers."""
    await sessions.drain(cfg.limits.drain_timeout_s)
    if holder.current is not None:
        await holder.current.close()
    if holder.redis_store is not None:
        await holder.redis_store.close()
    if holder.audit_db is not None:
        await holder.audit_db.dispose()
    if holder.embedded_server is not None:
        await holder.embedded_server.stop(1.0)


def create_app(health: HealthRegistry, config: BffConfig | None = None) -> Starlette:
    cfg = config or BffConfig.from_settings(get_settings())
    holder = _Holder()
    sessions = SessionRegistry()

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        addr = cfg.refdata_addr
        if cfg.tracing:
            configure_tracing(get_settings(), "bff")
        if cfg.embedded_refdata:
            addr = await _start_embedded_refdata(holder, cfg.tracing)
        policy = CallPolicy(timeout_s=cfg.limits.grpc_timeout_s)
        holder.current = Downstreams.connect(
            DownstreamConfig(
                addr,
                policy,
                cfg.limits.breaker_failures,
                cfg.limits.breaker_reset_s,
                cfg.tracing,
                rfq_addr=cfg.rfq_addr,
                rfq_changes=cfg.rfq_changes,
                read_models=_read_models(cfg, holder),
                audit_db=_audit_db(cfg, holder),
                identity_addr=cfg.identity_addr,
            )
        )
        _register_downstream_health(health, holder.current)
        async with contextlib.AsyncExitStack() as stack:
            if cfg.streaming is not None:
                await stack.enter_async_context(cfg.streaming.running())
            try:
                yield
            finally:
                await _shutdown(cfg, holder, sessions)

    routes = _health_routes(health)
    limiter = RateLimiter(cfg.limits.rate_per_minute)  # shared: the limit is per user, not per path
    for name, build in SUBGRAPHS.items():
        schema = build(cfg.limits)
        view = SubgraphView(schema, name, cfg.limits, sessions, holder, cfg.validator, limiter)
        routes += [Route(path_of(name), view), WebSocketRoute(path_of(name), view)]
    if cfg.streaming is not None:
        routes += cfg.streaming.routes()
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(BodySizeLimit, max_bytes=cfg.limits.max_body_bytes)
    app.add_middleware(TraceContext)
    app.state.sessions = sessions
    app.state.downstreams = holder
    return app

"""Streaming routes for the BFF, and a standalone streaming server (benchmarks, integration)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import strawberry
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from bff.auth import AuthenticationError, TokenValidator, authenticate
from bff.streaming import runtime
from bff.streaming.hub import MarketDataHub
from bff.streaming.ws import Admitted, Authenticator, EndpointLimits, HubEndpoint
from bff.view import token_from_params
from bff.workstation.marketdata.resolvers import MarketDataQueries, MarketDataSubscriptions
from core.health import ComponentHealth

HUB_PATH = "/graphql/stream"


def bearer_authenticator(validator: TokenValidator | None = None) -> Authenticator:
    """connection_init must carry a valid access token, exactly as on the /graphql path; the
    principal's role and entitlements then filter every subscription of the connection."""

    async def admit(params: dict[str, Any]) -> Admitted | None:
        token = token_from_params(params)
        if token is None:
            return None
        try:
            return Admitted(await authenticate(token, validator=validator))
        except AuthenticationError:
            return None

    return admit


async def allow_all(_: dict[str, Any]) -> Admitted | None:
    """Benchmarks and tests on 127.0.0.1 only: no token needed, every price."""
    return Admitted(None)


def hub_routes(
    hub: MarketDataHub,
    authenticator: Authenticator | None = None,
    limits: EndpointLimits | None = None,
) -> list[BaseRoute]:
    """The hub's WebSocket route, to add next to /graphql in the BFF's app."""
    endpoint = HubEndpoint(hub, authenticator or bearer_authenticator(), limits)
    return [WebSocketRoute(HUB_PATH, endpoint.handle)]


@strawberry.type
class _Query(MarketDataQueries):
    pass


@strawberry.type
class _Subscription(MarketDataSubscriptions):
    pass


def default_path_schema() -> strawberry.Schema:
    """Only the market-data fields, executed by Strawberry per subscriber (the baseline)."""
    return strawberry.Schema(query=_Query, subscription=_Subscription)


@dataclass
class StreamingServer:
    """Hub + optional background tasks (the tick feed) tied to the app's lifespan."""

    hub: MarketDataHub
    authenticator: Authenticator = allow_all
    background: list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = field(
        default_factory=list
    )
    limits: EndpointLimits = field(default_factory=EndpointLimits)

    def app(self) -> Starlette:
        graphql = GraphQL[Any, Any](
            default_path_schema(), subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,)
        )
        routes: list[BaseRoute] = [
            *self.routes(),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/metrics", _metrics),
            Route("/stats", self._stats),
        ]
        return Starlette(routes=routes, lifespan=self._lifespan)

    async def _stats(self, _: Request) -> JSONResponse:
        s = self.hub.stats
        depths = self.hub.queue_depths()
        return JSONResponse(
            {
                "ticks_in": s.ticks_in,
                "deliveries": s.deliveries,
                "direct_writes": s.direct_writes,
                "encodes": s.payload_encodes,
                "frames_built": s.frames_built,
                "dropped": s.frames_dropped,
                "resyncs": s.resyncs,
                "coalescing_ratio": s.coalescing_ratio,
                "sessions": len(depths),
                "max_queue_depth": max(depths, default=0),
                "latency_ms": {q: _finite(s.latency.quantile(q)) for q in (0.5, 0.95, 0.99)},
            }
        )

    async def health(self) -> ComponentHealth:
        """A health check for the host's registry: the hub, fed by the log, and its sessions."""
        stats = self.hub.stats
        sessions = len(self.hub.queue_depths())
        detail = f"{stats.ticks_in} ticks in, {sessions} sessions, {stats.deliveries} deliveries"
        return ComponentHealth("streaming", True, detail)

    def routes(self) -> list[BaseRoute]:
        """The hub's route, for an app (the BFF) that serves /graphql itself."""
        return hub_routes(self.hub, self.authenticator, self.limits)

    @contextlib.asynccontextmanager
    async def _lifespan(self, _: Starlette) -> AsyncIterator[None]:
        async with self.running():
            yield

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[MarketDataHub]:
        """Install the hub for the resolvers and run the feed; use inside an app's lifespan."""
        runtime.install(self.hub)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(job(stop)) for job in self.background]
        try:
            yield self.hub
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.hub.close()
            runtime.install(None)


def _finite(value: float) -> float | None:
    """JSON has no infinity: a quantile past the last bucket is reported as null."""
    return value if math.isfinite(value) else None


async def _metrics(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

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

from bff.auth import AuthenticationError, authenticate
from bff.streaming import runtime
from bff.streaming.hub import MarketDataHub
from bff.streaming.ws import Authenticator, HubEndpoint
from bff.view import token_from_params
from bff.workstation.marketdata.resolvers import MarketDataQueries, MarketDataSubscriptions

HUB_PATH = "/graphql/stream"


async def bearer_authenticator(params: dict[str, Any]) -> bool:
    """connection_init must carry a valid access token, exactly as on the /graphql path."""
    token = token_from_params(params)
    if token is None:
        return False
    try:
        await authenticate(token)
    except AuthenticationError:
        return False
    return True


async def allow_all(_: dict[str, Any]) -> bool:
    """Benchmarks and tests on 127.0.0.1 only: no token needed."""
    return True


def hub_routes(
    hub: MarketDataHub, authenticator: Authenticator = bearer_authenticator
) -> list[BaseRoute]:
    """The hub's WebSocket route, to add next to /graphql in the BFF's app."""
    return [WebSocketRoute(HUB_PATH, HubEndpoint(hub, authenticator).handle)]


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

    def routes(self) -> list[BaseRoute]:
        """The hub's route, for an app (the BFF) that serves /graphql itself."""
        return hub_routes(self.hub, self.authenticator)

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

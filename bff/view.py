"""The Strawberry ASGI view of one subgraph: typed context, authentication, WS session policy."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import strawberry
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from bff.auth import AuthenticationError, TokenValidator, authenticate
from bff.context import Loaders, OrionContext
from bff.correlation import HEADER, correlation_id_from
from bff.grpc.channels import Downstreams
from bff.ratelimit import RateLimiter
from bff.session.ws import OrionWSHandler, SessionRegistry
from bff.settings import BffLimits


def token_from_params(params: Mapping[str, Any]) -> str | None:
    """connection_init payload: `Authorization` (any case) or `authToken`, Bearer or bare."""
    for key in ("Authorization", "authorization", "authToken"):
        value = params.get(key)
        if isinstance(value, str) and value:
            return value
    return None


class SubgraphView(GraphQL[OrionContext, None]):
    """One per subgraph. Principals come only from bff.auth: no token, no data."""

    def __init__(
        self,
        schema: strawberry.federation.Schema,
        subgraph: str,
        limits: BffLimits,
        sessions: SessionRegistry,
        downstreams: Any,
        validator: TokenValidator | None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if limits.introspection else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=limits.connection_init_timeout_s),
            max_subscriptions_per_connection=limits.max_subscriptions_per_connection,
        )
        self.subgraph = subgraph
        self.limits = limits
        self._downstreams = downstreams  # a holder whose `.current` is set in the lifespan
        self._validator = validator
        self._rate_limiter = rate_limiter
        self.graphql_transport_ws_handler_class = type(
            f"{subgraph.title()}WSHandler",
            (OrionWSHandler,),
            {"limits": limits, "registry": sessions, "subgraph": subgraph},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry answers protocol errors (no query, bad JSON) in plain text: make them
        GraphQL-shaped so every rejection reads the same to a client."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            error = {"message": exc.reason, "extensions": {"code": "BAD_REQUEST"}}
            response = JSONResponse({"data": None, "errors": [error]}, exc.status_code)
        await response(scope, receive, send)

    def _downstreams_now(self) -> Downstreams:
        current: Downstreams = self._downstreams.current
        return current

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> OrionContext:
        correlation = correlation_id_from(request.headers.get(HEADER))
        if isinstance(response, Response):
            response.headers[HEADER] = correlation
        downstreams = self._downstreams_now()
        context = OrionContext(
            subgraph=self.subgraph,
            correlation_id=correlation,
            downstreams=downstreams,
            loaders=Loaders.create(downstreams),
            request=request,
            response=response,
            rate_limiter=self._rate_limiter,
        )
        if isinstance(request, Request):
            await self._authenticate(context, request.headers.get("authorization"))
        return context

    async def _authenticate(self, context: OrionContext, credentials: str | None) -> None:
        if credentials is None:
            return  # the guard answers UNAUTHENTICATED on any non-public root field
        try:
            context.principal = await authenticate(credentials, validator=self._validator)
        except AuthenticationError as exc:
            context.auth_failure = str(exc) or type(exc).__name__

    async def on_ws_connect(self, context: OrionContext) -> None:
        """Refuse the session (close 4403) unless connection_init carries a valid token."""
        credentials = token_from_params(context.connection_params)
        if credentials is None and isinstance(context.request, WebSocket):
            credentials = context.request.headers.get("authorization")
        await self._authenticate(context, credentials)
        if context.principal is None:
            raise ConnectionRejectionError({"reason": context.auth_failure or "missing token"})
        context.bind_logging()

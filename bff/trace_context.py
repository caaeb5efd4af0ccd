"""Continue a caller's W3C trace: an incoming `traceparent` becomes the parent of the BFF's spans.

Without this every GraphQL operation started a new trace, so a gateway's or a client's trace stopped
at the BFF. A malformed header is ignored by the propagator (the operation then starts a new trace),
so a client cannot break a request with it.
"""

from __future__ import annotations

from opentelemetry import context, propagate
from starlette.types import ASGIApp, Receive, Scope, Send


class TraceContext:
    """Pure ASGI middleware: the extracted context stays attached for the whole HTTP/WS call."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        token = context.attach(propagate.extract(carrier))
        try:
            await self.app(scope, receive, send)
        finally:
            context.detach(token)

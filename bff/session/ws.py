"""graphql-transport-ws sessions: server pings, idle/lifetime/token limits, shutdown drain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from bff.context import OrionContext, operation_correlation_var
from bff.metrics import ACTIVE_SUBSCRIPTIONS, OPEN_WEBSOCKETS, SESSION_CLOSES
from bff.settings import BffLimits

log = logging.getLogger("bff.session")

# Close codes a client acts on (see docs/graphql-sessions.md).
CLOSE_IDLE = 4000  # no message (not even a pong) for idle_timeout_s: reconnect if still wanted
CLOSE_LIFETIME = 4001  # max session lifetime reached: reconnect at once
CLOSE_TOKEN_EXPIRED = 4002  # access token expired: refresh it, then reconnect
CLOSE_SERVICE_RESTART = 1012  # server shutting down: reconnect with backoff


class SessionRegistry:
    """Every live session of the process, so shutdown can drain them with a close code."""

    def __init__(self) -> None:
        self._sessions: set[OrionWSHandler] = set()

    def add(self, session: OrionWSHandler) -> None:
        self._sessions.add(session)

    def discard(self, session: OrionWSHandler) -> None:
        self._sessions.discard(session)

    def __len__(self) -> int:
        return len(self._sessions)

    async def drain(self, timeout_s: float) -> None:
        sessions = list(self._sessions)
        closes = [s.close(CLOSE_SERVICE_RESTART, "server restarting") for s in sessions]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*closes, return_exceptions=True), timeout_s)


class OrionWSHandler(BaseGraphQLTransportWSHandler[OrionContext, None]):
    """Adds a watchdog task per connection; the view passes limits, registry and subgraph."""

    limits: BffLimits
    registry: SessionRegistry
    subgraph: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._opened = time.monotonic()
        self._last_seen = self._opened
        self._closed = False

    async def handle(self) -> None:
        self.registry.add(self)
        OPEN_WEBSOCKETS.labels(self.subgraph).inc()
        watchdog = asyncio.create_task(self._watchdog())
        try:
            await super().handle()
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
            OPEN_WEBSOCKETS.labels(self.subgraph).dec()
            self.registry.discard(self)

    async def handle_message(self, message: Any) -> None:
        self._last_seen = time.monotonic()
        await super().handle_message(message)

    async def run_operation(self, operation: Any) -> None:
        # This runs in the operation's own task: the id stays with this operation only.
        operation_correlation_var.set(f"{self.context.correlation_id}/{operation.id}")
        gauge = ACTIVE_SUBSCRIPTIONS.labels(self.subgraph)
        gauge.inc()
        try:
            await super().run_operation(operation)
        finally:
            gauge.dec()

    async def close(self, code: int, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        SESSION_CLOSES.labels(reason).inc()
        log.info("closing session", extra={"code": code, "reason": reason})
        with contextlib.suppress(Exception):  # the peer may already be gone
            await self.websocket.close(code=code, reason=reason)

    def _deadline_reason(self, now: float) -> tuple[int, str] | None:
        if now - self._last_seen >= self.limits.idle_timeout_s:
            return CLOSE_IDLE, "idle timeout"
        if now - self._opened >= self.limits.max_lifetime_s:
            return CLOSE_LIFETIME, "session lifetime reached"
        principal = self.context.principal
        if principal is not None and 0 < principal.expires_at <= time.time():
            return CLOSE_TOKEN_EXPIRED, "access token expired"
        return None

    async def _watchdog(self) -> None:
        tick = min(self.limits.ping_interval_s, self.limits.idle_timeout_s) / 2
        last_ping = time.monotonic()
        while not self._closed:
            await asyncio.sleep(tick)
            now = time.monotonic()
            if (reason := self._deadline_reason(now)) is not None:
                await self.close(*reason)
                return
            if self.connection_acknowledged and now - last_ping >= self.limits.ping_interval_s:
                last_ping = now
                with contextlib.suppress(Exception):
                    await self.send_message({"type": "ping"})

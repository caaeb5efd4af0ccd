"""The hub's WebSocket endpoint: graphql-transport-ws for `marketData`, pre-encoded frames."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from bff.auth.principal import Principal
from bff.streaming.access import StreamAccessError, streamable
from bff.streaming.hub import MarketDataHub
from bff.streaming.selection import SelectionError, selection_from
from bff.streaming.wire import uvicorn_sink

log = logging.getLogger("bff.streaming")
PROTOCOL = "graphql-transport-ws"
# graphql-transport-ws close codes.
BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, INIT_TIMEOUT, DUPLICATE_ID = 4400, 4401, 4403, 4408, 4409


@dataclass(frozen=True)
class Admitted:
    """A connection that passed connection_init; `principal` None is the no-auth benchmark door
    (every price), otherwise its role and asset-class entitlements filter each subscription."""

    principal: Principal | None


# connection_init payload -> Admitted, or None to refuse the connection (4403).
Authenticator = Callable[[dict[str, Any]], Awaitable[Admitted | None]]


@dataclass(frozen=True)
class EndpointLimits:
    init_timeout_s: float = 10.0
    max_subscriptions: int = 20
    # The flush writes pre-framed bytes to idle sockets (ADR 0012); False: every frame takes
    # the ASGI path (the benchmark's A/B, and a fallback should uvicorn's internals change).
    direct_writes: bool = True


class HubEndpoint:
    """A WebSocket endpoint (`handle`); every `next` message is a per-id prefix + shared text."""

    def __init__(
        self,
        hub: MarketDataHub,
        authenticate: Authenticator,
        limits: EndpointLimits | None = None,
    ) -> None:
        self._hub = hub
        self._authenticate = authenticate
        self._limits = limits or EndpointLimits()

    async def handle(self, websocket: WebSocket) -> None:
        offered = websocket.scope.get("subprotocols") or []
        await websocket.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
        connection = _Connection(websocket, self._hub, self._limits)
        try:
            if (admitted := await self._handshake(websocket)) is not None:
                connection.principal = admitted.principal
                await connection.serve()
        except WebSocketDisconnect:
            pass
        finally:
            await connection.shutdown()

    async def _handshake(self, websocket: WebSocket) -> Admitted | None:
        try:
            raw = await asyncio.wait_for(websocket.receive_text(), self._limits.init_timeout_s)
        except TimeoutError:
            await websocket.close(INIT_TIMEOUT, "Connection initialisation timeout")
            return None
        message = _loads(raw)
        if message is None or message.get("type") != "connection_init":
            await websocket.close(UNAUTHORIZED, "Unauthorized")
            return None
        payload = message.get("payload")
        admitted = await self._authenticate(payload if isinstance(payload, dict) else {})
        if admitted is None:
            await websocket.close(FORBIDDEN, "Forbidden")
            return None
        await websocket.send_text('{"type":"connection_ack"}')
        return admitted


class _Connection:
    def __init__(self, websocket: WebSocket, hub: MarketDataHub, limits: EndpointLimits) -> None:
        self._ws = websocket
        self._hub = hub
        self._limits = limits
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()
        self.principal: Principal | None = None
        self._sink = uvicorn_sink(websocket) if limits.direct_writes else None

    async def serve(self) -> None:
        while True:
            message = _loads(await self._ws.receive_text())
            if message is None:
                await self._ws.close(BAD_REQUEST, "Invalid message received")
                return
            kind = message.get("type")
            if kind == "ping":
                await self._send('{"type":"pong"}')
            elif kind == "subscribe":
                if not await self._subscribe(message):
                    return
            elif kind == "complete":
                self._stop(str(message.get("id")))
            elif kind != "pong":
                await self._ws.close(BAD_REQUEST, f"Unexpected message of type {kind}")
                return

    async def _subscribe(self, message: dict[str, Any]) -> bool:
        op_id, payload = message.get("id"), message.get("payload")
        if not isinstance(op_id, str) or not op_id or not isinstance(payload, dict):
            await self._ws.close(BAD_REQUEST, "Invalid subscribe message")
            return False
        if op_id in self._tasks:
            await self._ws.close(DUPLICATE_ID, f"Subscriber for {op_id} already exists")
            return False
        try:
            if len(self._tasks) >= self._limits.max_subscriptions:
                raise SelectionError("too many subscriptions on this connection")
            key = selection_from(str(payload.get("query", "")), payload.get("variables"))
            # Same rule as the /graphql resolver: the entitled subset, or a typed error.
            allowed = streamable(self.principal, key.instruments, policy=True)
        except SelectionError as exc:
            await self._error(op_id, str(exc), "BAD_USER_INPUT")
            return True
        except StreamAccessError as exc:
            await self._error(op_id, str(exc), exc.code)
            return True
        if len(allowed) != len(key.instruments):
            key = replace(key, instruments=tuple(allowed))
        self._tasks[op_id] = asyncio.create_task(self._pump(op_id, key))
        return True

    async def _pump(self, op_id: str, key: Any) -> None:
        sub = await self._hub.subscribe(key)
        prefix = '{"id":' + orjson.dumps(op_id).decode() + ',"type":"next","payload":'
        # From now on the flush writes frames itself while this task is parked (ADR 0012);
        # the loop below sends the snapshot, resyncs and whatever queued behind a busy socket.
        sub.outbox.sink, sub.outbox.prefix = self._sink, prefix.encode()
        stats = self._hub.stats
        try:
            while (frame := await sub.outbox.get()) is not None:
                await self._send(prefix + frame.payload_text + "}")
                stats.deliveries += 1
                stats.latency.observe((time.time_ns() - frame.oldest_receive_ns) / 1e6)
        finally:
            self._hub.unsubscribe(sub)

    async def _error(self, op_id: str, message: str, code: str) -> None:
        error = [{"message": message, "extensions": {"code": code}}]
        await self._send(orjson.dumps({"type": "error", "id": op_id, "payload": error}))

    def _stop(self, op_id: str) -> None:
        task = self._tasks.pop(op_id, None)
        if task is not None:
            task.cancel()

    async def _send(self, text: str | bytes) -> None:
        data = text.decode() if isinstance(text, bytes) else text
        async with self._send_lock:
            await self._ws.send_text(data)

    async def shutdown(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _loads(raw: str) -> dict[str, Any] | None:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None

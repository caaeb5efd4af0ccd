"""The hub's WebSocket endpoint: graphql-transport-ws for `marketData`, pre-encoded frames."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from bff.streaming.hub import MarketDataHub
from bff.streaming.selection import SelectionError, selection_from

log = logging.getLogger("bff.streaming")
PROTOCOL = "graphql-transport-ws"
# graphql-transport-ws close codes.
BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, INIT_TIMEOUT, DUPLICATE_ID = 4400, 4401, 4403, 4408, 4409

Authenticator = Callable[[dict[str, Any]], Awaitable[bool]]


@dataclass(frozen=True)
class EndpointLimits:
    init_timeout_s: float = 10.0
    max_subscriptions: int = 20


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
            if await self._handshake(websocket):
                await connection.serve()
        except WebSocketDisconnect:
            pass
        finally:
            await connection.shutdown()

    async def _handshake(self, websocket: WebSocket) -> bool:
        try:
            raw = await asyncio.wait_for(websocket.receive_text(), self._limits.init_timeout_s)
        except TimeoutError:
            await websocket.close(INIT_TIMEOUT, "Connection initialisation timeout")
            return False
        message = _loads(raw)
        if message is None or message.get("type") != "connection_init":
            await websocket.close(UNAUTHORIZED, "Unauthorized")
            return False
        payload = message.get("payload")
        if not await self._authenticate(payload if isinstance(payload, dict) else {}):
            await websocket.close(FORBIDDEN, "Forbidden")
            return False
        await websocket.send_text('{"type":"connection_ack"}')
        return True


class _Connection:
    def __init__(self, websocket: WebSocket, hub: MarketDataHub, limits: EndpointLimits) -> None:
        self._ws = websocket
        self._hub = hub
        self._limits = limits
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()

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
        except SelectionError as exc:
            error = [{"message": str(exc), "extensions": {"code": "BAD_USER_INPUT"}}]
            await self._send(orjson.dumps({"type": "error", "id": op_id, "payload": error}))
            return True
        self._tasks[op_id] = asyncio.create_task(self._pump(op_id, key))
        return True

    async def _pump(self, op_id: str, key: Any) -> None:
        sub = await self._hub.subscribe(key)
        prefix = '{"id":' + orjson.dumps(op_id).decode() + ',"type":"next","payload":'
        stats = self._hub.stats
        try:
            while (frame := await sub.outbox.get()) is not None:
                await self._send(prefix + frame.payload_text + "}")
                stats.deliveries += 1
                stats.latency.observe((time.time_ns() - frame.oldest_receive_ns) / 1e6)
        finally:
            self._hub.unsubscribe(sub)

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

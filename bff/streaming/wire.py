"""Pre-framed WebSocket writes: the same frame bytes go straight to each subscriber's transport.

Per delivery, the ASGI path costs a task wake-up, a lock, Starlette's and uvicorn's send
coroutines and websockets' framing (~60% of the hub's CPU per frame, measured with py-spy); the
kernel write itself is the rest. Server-to-client frames are unmasked, so a text frame is a
header plus the payload: built once per (frame, operation-id prefix) and written with one
`transport.write` from the flush. See ADR 0012.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from starlette.websockets import WebSocket

log = logging.getLogger("bff.streaming")
_FIN_TEXT = 0x81


class Sink(Protocol):
    """A socket the hub may write a complete, pre-framed WebSocket message to, synchronously."""

    def ready(self) -> bool: ...

    def write(self, data: bytes) -> None: ...


def text_frame_header(length: int) -> bytes:
    """RFC 6455 header of an unfragmented, unmasked (server-to-client) text frame."""
    if length < 126:
        return bytes((_FIN_TEXT, length))
    if length < 1 << 16:
        return bytes((_FIN_TEXT, 126)) + length.to_bytes(2, "big")
    return bytes((_FIN_TEXT, 127)) + length.to_bytes(8, "big")


def text_frame(*parts: bytes) -> bytes:
    body = b"".join(parts)
    return text_frame_header(len(body)) + body


class UvicornSink:
    """uvicorn's websockets-sansio protocol, written to directly.

    Safe to interleave with its own sends: those write whole frames synchronously once
    `writable` is set, and this sink writes only when `writable` is set (not paused by flow
    control), the close handshake has not started and the peer is still there.
    """

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        # Bound once: ready() and write() run for every socket at every flush.
        self._writable = protocol.writable.is_set
        self._closing = protocol.transport.is_closing
        self.write = protocol.transport.write

    def ready(self) -> bool:
        p = self._protocol
        return self._writable() and not (p.close_sent or p.disconnected or self._closing())


def uvicorn_sink(websocket: WebSocket) -> Sink | None:
    """The direct sink of a connection served by uvicorn's websockets-sansio implementation;
    None under any other server (the ASGI path is then used for every frame)."""
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )
    except ImportError:  # pragma: no cover - uvicorn without the sans-I/O implementation
        return None
    protocol = _find_owner(websocket._send, WebSocketsSansIOProtocol, 0)
    return None if protocol is None else UvicornSink(protocol)


def _find_owner(fn: object, cls: type, depth: int) -> Any:
    """The `cls` instance whose bound `send` the ASGI send callable wraps (Starlette and
    middlewares wrap it in closures); depth-bounded, None when not found."""
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, cls):
        return owner
    if depth >= 8:
        return None
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if callable(value) and (found := _find_owner(value, cls, depth + 1)) is not None:
            return found
    return None

"""Pluggable feed connectors: the interface, the simulator feed and a mock external adapter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Protocol

from services.marketdata.domain.clock import Clock
from services.marketdata.domain.simulator import QuoteSimulator


class FeedConnector(Protocol):
    """A source of raw quotes in any shape; the normaliser decides what is valid."""

    name: str

    def quotes(self) -> AsyncIterator[object]: ...

    async def close(self) -> None: ...


class SimulatedFeed:
    """Drives the simulator in real (or injected) time: sleeps until the next quote is due."""

    name = "sim"

    def __init__(self, simulator: QuoteSimulator, clock: Clock) -> None:
        self._sim = simulator
        self._clock = clock
        self._closed = asyncio.Event()

    async def close(self) -> None:
        self._closed.set()

    async def quotes(self) -> AsyncIterator[object]:
        while not self._closed.is_set():
            await self._clock.sleep_until(self._sim.next_due_ns())
            for quote in self._sim.advance(self._clock.now_ns()):
                yield quote


class MockVendorAdapter:
    """Stands in for an external feed: translates a vendor's wire format to raw quotes.

    The vendor sends `{"sym": "EUR/USD", "px": {"b": .., "a": ..}, "t_ms": ..}`; unknown
    symbols and broken messages are passed on as-is so the normaliser counts and drops them.
    """

    name = "mock-vendor"

    def __init__(
        self,
        messages: Sequence[object],
        symbols: Mapping[str, str],
        clock: Clock,
        interval_ns: int = 0,
    ) -> None:
        self._messages = messages
        self._symbols = symbols
        self._clock = clock
        self._interval_ns = interval_ns

    async def close(self) -> None:
        """The mock holds no connection."""

    async def quotes(self) -> AsyncIterator[object]:
        for message in self._messages:
            await self._clock.sleep_until(self._clock.now_ns() + self._interval_ns)
            yield self.translate(message)

    def translate(self, message: object) -> object:
        if not isinstance(message, Mapping):
            return message
        px = message.get("px")
        t_ms = message.get("t_ms")
        if not isinstance(px, Mapping):
            return {}
        return {
            "instrument": self._symbols.get(str(message.get("sym")), message.get("sym")),
            "bid": _decimal_text(px.get("b")),
            "ask": _decimal_text(px.get("a")),
            "ts": t_ms * 1_000_000
            if isinstance(t_ms, int) and not isinstance(t_ms, bool)
            else None,
            "source": self.name,
        }


def _decimal_text(value: object) -> object:
    # Vendors send floats; their repr is the shortest exact decimal text, never binary noise.
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    return value

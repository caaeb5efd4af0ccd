"""Reference data and market data (simulated feed, snapshot projector, snapshot gRPC)."""

from __future__ import annotations

import time

from grpc import aio

from core.health import ComponentHealth
from core.platform import ports
from core.settings import Settings
from eventbus.bus import EventBus
from eventbus.readmodel import ReadModelStore
from services.marketdata.bootstrap import MarketDataProcess, RunOptions
from services.refdata.server import start_server

# Simulated ticks arrive several times a second; this long without one means the feed stalled.
TICK_SILENCE_S = 10.0


class RefDataComponent:
    """The reference-data gRPC server; the BFF dials it through its generated stubs."""

    name = "refdata"

    def __init__(self, settings: Settings, bus: EventBus, tracing: bool) -> None:
        self.settings, self.bus, self.tracing = settings, bus, tracing
        self.addr = ""
        self._server: aio.Server | None = None

    async def start(self) -> None:
        host, port = ports.split(ports.available(self.settings.refdata_addr))
        self._server, bound = await start_server(
            host, port, tracing=self.tracing, bus=self.bus, env=self.settings.env
        )
        self.addr = f"{host}:{bound}"

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(1.0)

    async def check(self) -> ComponentHealth:
        serving = await ports.grpc_serving(self.addr)
        return ComponentHealth(self.name, serving, f"gRPC {self.addr} serving={serving}")


class MarketDataComponent:
    """The market-data process as `python -m services.marketdata` runs it, with the platform's
    in-process read model so the BFF hub, the RFQ service and the LP bots read its snapshot."""

    name = "marketdata"

    def __init__(self, settings: Settings, store: ReadModelStore) -> None:
        addr = ports.available(settings.marketdata_addr)
        self.process = MarketDataProcess(
            settings.model_copy(update={"marketdata_addr": addr}), RunOptions(), store=store
        )
        self._host = ports.split(addr)[0]
        self._seen = (0, time.monotonic())

    @property
    def addr(self) -> str:
        return f"{self._host}:{self.process.grpc_port}"

    async def start(self) -> None:
        await self.process.start()
        self._seen = (0, time.monotonic())

    async def stop(self) -> None:
        await self.process.stop()

    async def check(self) -> ComponentHealth:
        ingest = self.process.ingest
        received = ingest.received if ingest is not None else 0
        now = time.monotonic()
        if received > self._seen[0]:
            self._seen = (received, now)
        silent = now - self._seen[1]
        healthy = ingest is not None and silent < TICK_SILENCE_S
        detail = f"{received} ticks in, last {silent:.1f}s ago; snapshot gRPC {self.addr}"
        return ComponentHealth(self.name, healthy, detail)

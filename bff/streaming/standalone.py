"""A streaming server wired from settings: hub fed by the log, snapshots from the read model."""

from __future__ import annotations

import asyncio
import os

from starlette.applications import Starlette

from bff.auth import TokenValidator
from bff.streaming.app import StreamingServer, allow_all, bearer_authenticator
from bff.streaming.feed import BusTickFeed, ReaderSnapshotSource
from bff.streaming.hub import HubConfig, MarketDataHub
from bff.streaming.metrics import register
from bff.streaming.ws import EndpointLimits
from core import heap
from core.settings import Settings
from eventbus.bus import EventBus
from eventbus.factory import create_bus
from eventbus.readmodel import ReadModelStore
from services.marketdata.bootstrap import create_store
from services.marketdata.snapshot import SnapshotReader


def build(
    settings: Settings,
    *,
    auth: bool = True,
    config: HubConfig | None = None,
    store: ReadModelStore | None = None,
    export_metrics: bool = False,
    bus: EventBus | None = None,
    validator: TokenValidator | None = None,
) -> StreamingServer:
    """`bus`: a started bus owned by the caller (the embedded platform shares its log);
    without it the server creates, starts and stops its own client for the feed."""
    reader = SnapshotReader(store or create_store(settings))
    hub = MarketDataHub(ReaderSnapshotSource(reader), config)
    if export_metrics:
        register(hub.stats, hub)
    own_bus = bus is None
    feed_bus = bus or create_bus(settings, client_id="bff-streaming")
    feed = BusTickFeed(feed_bus, settings.env, hub)

    async def run_feed(stop: asyncio.Event) -> None:
        if own_bus:
            await feed_bus.start()
        try:
            await feed.run(stop)
        finally:
            if own_bus:
                await feed_bus.stop()

    authenticator = bearer_authenticator(validator) if auth else allow_all
    return StreamingServer(hub, authenticator, [run_feed])


NO_AUTH_ENV = "ORION_STREAMING_NO_AUTH"
# "0": every hub frame takes the ASGI send path (benchmark A/B of ADR 0012's direct writes).
DIRECT_ENV = "ORION_STREAMING_DIRECT"


def app_factory() -> Starlette:
    """uvicorn factory for `--workers N`: each worker has its own hub and its own tick consumer,
    so workers share nothing and scale with cores (the kernel spreads connections)."""
    from core.settings import get_settings

    settings = get_settings()
    heap.tune_collector(settings.gc_thresholds)  # a worker process runs this, not __main__
    auth = os.environ.get(NO_AUTH_ENV) != "1"
    server = build(settings, auth=auth, export_metrics=True)
    server.limits = EndpointLimits(direct_writes=os.environ.get(DIRECT_ENV) != "0")
    app = server.app()
    heap.freeze_startup_heap()
    return app

"""Wires the market-data process: feed -> ingest -> bus, projector -> store, gRPC snapshot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import grpc

from core.settings import Profile, Settings
from eventbus.bus import EventBus
from eventbus.consumer import ConsumerRunner, ConsumerSpec
from eventbus.factory import create_bus
from eventbus.readmodel import MemoryReadModelStore, ReadModelStore, RedisReadModelStore
from eventbus.topics import ensure_topics, topic_name
from services.marketdata.connectors import FeedConnector, SimulatedFeed
from services.marketdata.domain.clock import Clock, SystemClock
from services.marketdata.domain.instruments import SEEDED_INSTRUMENTS, instrument_map
from services.marketdata.domain.normaliser import Normaliser
from services.marketdata.domain.regimes import RegimeModel
from services.marketdata.domain.simulator import QuoteSimulator, SimulatorConfig
from services.marketdata.domain.staleness import StalenessDetector
from services.marketdata.grpc_api import add_to_server
from services.marketdata.ingest import Ingest
from services.marketdata.publisher import BusPublisher
from services.marketdata.replay.dataset import decode
from services.marketdata.replay.player import ReplayFeed
from services.marketdata.replay.store import LocalDirectoryStore
from services.marketdata.snapshot import (
    PROJECTOR_NAME,
    SNAPSHOT_MODEL,
    SnapshotReader,
    project_tick,
)

log = logging.getLogger("marketdata")
_NS = 1_000_000_000


@dataclass(frozen=True)
class RunOptions:
    source: str = "sim"  # sim | replay | none
    dataset: Path | None = None
    speed: Fraction | None = Fraction(1)
    loop: bool = True
    rate_scale: float = 1.0
    seed: int = 7
    # Benchmarks: stay in the normal regime. Regimes scale the quote rate 0.5x-2x and switch
    # every minute or two, so phases of one run were otherwise offered up to 4x different loads.
    fixed_regime: bool = False
    stale_after_s: float = 5.0
    projector: bool = True
    grpc: bool = True


def create_store(settings: Settings) -> ReadModelStore:
    if settings.profile is Profile.EMBEDDED:
        return MemoryReadModelStore()
    return RedisReadModelStore.from_url(settings.effective_redis_url())


async def make_feed(options: RunOptions, clock: Clock) -> FeedConnector:
    if options.source == "replay":
        if options.dataset is None:
            raise ValueError("replay needs a dataset path")
        store = LocalDirectoryStore(options.dataset.parent)
        dataset = decode(await store.get(options.dataset.name))
        return ReplayFeed(dataset, clock, options.speed, loop=options.loop)
    regimes = RegimeModel(rates={}) if options.fixed_regime else RegimeModel()
    config = SimulatorConfig(seed=options.seed, rate_scale=options.rate_scale, regimes=regimes)
    return SimulatedFeed(QuoteSimulator(clock.now_ns(), SEEDED_INSTRUMENTS, config), clock)


async def restored_normaliser(store: ReadModelStore) -> Normaliser:
    """Continue each instrument's sequence from the snapshot, so read models accept new ticks."""
    normaliser = Normaliser(instrument_map())
    try:
        entries = await asyncio.wait_for(store.entries(SNAPSHOT_MODEL), 5)
    except Exception as exc:
        log.warning("could not restore tick sequences from the snapshot: %s", exc)
        return normaliser
    for instrument_id, stored in entries.items():
        normaliser.restore_sequence(instrument_id, stored.sequence)
    return normaliser


class MarketDataProcess:
    """Everything `python -m services.marketdata` runs, started and stopped as one."""

    def __init__(
        self,
        settings: Settings,
        options: RunOptions,
        bus: EventBus | None = None,
        store: ReadModelStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.options = options
        self.bus = bus or create_bus(settings, client_id="marketdata")
        self.store = store or create_store(settings)
        self.clock = clock or SystemClock()
        self.grpc_port: int | None = None
        self.ingest: Ingest | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._server: grpc.aio.Server | None = None
        self._publisher: BusPublisher | None = None

    async def start(self) -> None:
        env = self.settings.env
        await self.bus.start()
        await ensure_topics(self.bus, env, dlq_consumers=[PROJECTOR_NAME])
        if self.options.projector:
            spec = ConsumerSpec(
                PROJECTOR_NAME,
                [topic_name("marketdata.ticks.v1", env)],
                projector=project_tick,
                start_from="latest",
            )
            runner = ConsumerRunner(spec, self.bus, env=env, store=self.store)
            self._tasks.append(asyncio.create_task(runner.run(self._stop)))
        if self.options.grpc:
            await self._start_grpc()
        if self.options.source != "none":
            await self._start_ingest(env)

    async def _start_ingest(self, env: str) -> None:
        self._publisher = BusPublisher(self.bus, env)
        await self._publisher.start()
        detector = StalenessDetector(
            int(self.options.stale_after_s * _NS), instrument_map(), self.clock.now_ns()
        )
        feed = await make_feed(self.options, self.clock)
        normaliser = await restored_normaliser(self.store)
        self.ingest = Ingest(feed, normaliser, detector, self._publisher, self.clock)
        self._tasks.append(asyncio.create_task(self.ingest.run(self._stop)))

    async def _start_grpc(self) -> None:
        server = grpc.aio.server()
        add_to_server(server, SnapshotReader(self.store))
        self.grpc_port = server.add_insecure_port(self.settings.marketdata_addr)
        await server.start()
        self._server = server

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)
        if self._publisher is not None:
            await self._publisher.stop()
        if self._server is not None:
            await self._server.stop(2)
        await self.bus.stop()

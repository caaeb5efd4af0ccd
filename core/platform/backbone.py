"""The embedded backbone: one SQLite database (every area's tables), the event log, the relay."""

from __future__ import annotations

import importlib

from core.db import Database
from core.health import ComponentHealth
from core.platform.component import Jobs
from core.settings import Settings
from eventbus.bus import EventBus
from eventbus.factory import create_bus
from eventbus.known_events import load_all
from eventbus.readmodel import ReadModelStore
from eventbus.relay import OutboxRelay
from eventbus.replay import read_models, rebuild
from eventbus.topics import ensure_topics

# Modules whose SQLModel tables the platform database holds; importing one registers its tables
# (and its DDL hooks) so `create_all` builds them. Each area owns its module.
TABLE_MODULES = (
    "eventbus.outbox",
    "eventbus.consumer",
    "bff.auth.revocation_db",
    "services.identity.models",
    "services.audit.store",
    "services.rfq.store",
    "services.execution.store",
)


class DatabaseComponent:
    """The platform's SQLite file (or the configured URL), with every area's tables created."""

    name = "database"

    def __init__(self, settings: Settings) -> None:
        self.db = Database.from_settings(settings)
        self._url = settings.effective_database_url()

    async def start(self) -> None:
        for module in TABLE_MODULES:
            importlib.import_module(module)
        await self.db.create_all()

    async def stop(self) -> None:
        await self.db.dispose()

    async def check(self) -> ComponentHealth:
        async with self.db.engine.connect() as conn:
            await conn.exec_driver_sql("select 1")
        return ComponentHealth(self.name, True, f"{self.db.dialect} {self._url.split('///')[-1]}")


class EventLogComponent:
    """The durable log every other component publishes to; declared topics and DLQs ensured."""

    name = "eventbus"

    def __init__(self, settings: Settings, dlq_consumers: list[str]) -> None:
        self.settings = settings
        self.bus: EventBus = create_bus(settings, client_id="platform")
        self._dlq_consumers = dlq_consumers

    async def start(self) -> None:
        load_all()  # every area's event types, so any component can encode and decode them
        await self.bus.start()
        await ensure_topics(self.bus, self.settings.env, self._dlq_consumers)

    async def stop(self) -> None:
        await self.bus.stop()

    async def check(self) -> ComponentHealth:
        await self.bus.ensure_topics([])  # a round trip to the log (its thread and file)
        return ComponentHealth(self.name, True, f"{type(self.bus).__name__} answering")


class RelayComponent:
    """ONE outbox relay for the shared SQLite outbox (SQLite has one writer; see ADR 0009)."""

    name = "outbox-relay"

    def __init__(self, db: Database, bus: EventBus) -> None:
        self.relay = OutboxRelay(db, bus, poll_interval_s=0.2)
        self.jobs = Jobs(self.name)

    async def start(self) -> None:
        self.jobs.spawn("relay", self.relay.run)

    async def stop(self) -> None:
        await self.jobs.stop()
        await self.relay.drain()  # what was committed before shutdown is published, not stranded

    async def check(self) -> ComponentHealth:
        return self.jobs.health(f"published {self.relay.published_total} rows")


class ReadModelsComponent:
    """Rebuilds the in-process read models (blotters) from the log at boot.

    The memory store starts empty while the projectors' groups resume from their committed
    offsets, so without this a restart would show only what happened since.
    """

    name = "read-models"

    def __init__(self, bus: EventBus, store: ReadModelStore, env: str) -> None:
        self.bus, self.store, self.env = bus, store, env
        self.rebuilt: dict[str, int] = {}

    async def start(self) -> None:
        for name, model in read_models().items():
            result = await rebuild(model, self.bus, self.store, env=self.env)
            self.rebuilt[name] = result.entries

    async def stop(self) -> None:
        return None

    async def check(self) -> ComponentHealth:
        detail = ", ".join(f"{n}: {c} rows" for n, c in self.rebuilt.items()) or "none"
        return ComponentHealth(self.name, True, f"in memory, rebuilt at boot ({detail})")

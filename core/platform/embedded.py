"""The embedded profile's components, in start order (shutdown runs the list backwards)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from starlette.applications import Starlette

from bff.app import BffConfig, create_app
from bff.streaming.standalone import build as build_streaming
from core.health import HealthRegistry
from core.platform.audit import AuditComponent
from core.platform.backbone import (
    DatabaseComponent,
    EventLogComponent,
    ReadModelsComponent,
    RelayComponent,
)
from core.platform.component import Component, Platform
from core.platform.identity import IdentityComponent
from core.platform.market import MarketDataComponent, RefDataComponent
from core.platform.trading import (
    ExecutionComponent,
    LpBotsComponent,
    RfqComponent,
    execution_group,
    rfq_group,
    trade_blotter_group,
)
from core.platform.web import mount_platform
from core.settings import Settings
from eventbus.readmodel import MemoryReadModelStore
from services.identity.seed import WORKSTATION_CLIENT
from services.marketdata.snapshot import PROJECTOR_NAME


class Addressed(Protocol):
    @property
    def addr(self) -> str: ...


@dataclass
class EmbeddedPlatform:
    """Everything `orion dev` runs: components first, then the HTTP app built on their ports."""

    settings: Settings
    platform: Platform
    health: HealthRegistry
    store: MemoryReadModelStore
    identity: IdentityComponent
    # Settings field naming a gRPC address -> the component serving it (its port may fall back).
    servers: dict[str, Addressed] = field(default_factory=dict)

    @property
    def bound_addrs(self) -> dict[str, str]:
        return {name: server.addr for name, server in self.servers.items()}

    def build_app(self) -> tuple[Starlette, bool]:
        """The BFF app with /identity and the UI; call after `platform.start()` bound the ports.

        Returns the app and whether the built workstation is served at `/`.
        """
        tracing = self.settings.otel_exporter != "none"
        validator = self.identity.svc.validator
        streaming = build_streaming(self.settings, store=self.store, validator=validator)
        self.health.register("streaming", streaming.health)
        # The BFF reads its downstream addresses from the settings: hand it the bound ones.
        bound = self.settings.model_copy(update=self.bound_addrs)
        config = replace(
            BffConfig.from_settings(bound),
            validator=validator,
            embedded_refdata=False,  # refdata runs as a component, with the platform's log
            tracing=tracing,
            streaming=streaming,
            read_models=self.store,  # the blotters the in-process projectors keep
        )
        app = create_app(self.health, config)
        ui = {
            "oidcIssuer": self.identity.config.issuer,
            "oidcClientId": WORKSTATION_CLIENT,
            "oidcScope": "openid profile offline_access orion",
        }
        return app, mount_platform(app, self.identity.app, ui)


def _dlq_consumers(env: str) -> list[str]:
    """Consumers run by ConsumerRunner publish failures to `<env>.dlq.<name>.v1`: ensure them."""
    return [
        PROJECTOR_NAME,
        rfq_group(env),
        f"rm-rfq-blotter-{env}",
        execution_group(env),
        trade_blotter_group(env),
    ]


def compose(settings: Settings, port: int) -> EmbeddedPlatform:
    """Build every component; nothing starts until `platform.start()`."""
    origin = f"http://{settings.http_host}:{port}"
    # One in-process read-model store plays Redis: snapshot, blotters, mids all read it.
    store = MemoryReadModelStore()
    database = DatabaseComponent(settings)
    log = EventLogComponent(settings, _dlq_consumers(settings.env))
    identity = IdentityComponent(settings, database.db, origin)
    refdata = RefDataComponent(settings, log.bus, settings.otel_exporter != "none")
    marketdata = MarketDataComponent(settings, store)
    rfq = RfqComponent(settings, database.db, log.bus, store)
    components: list[Component] = [
        database,
        log,
        AuditComponent(database.db),
        ReadModelsComponent(log.bus, store, settings.env),
        RelayComponent(database.db, log.bus),
        identity,
        refdata,
        marketdata,
        rfq,
        ExecutionComponent(settings, database.db, log.bus, store),
        LpBotsComponent(settings, log.bus, store),
    ]
    platform = Platform(components)
    health = HealthRegistry()
    platform.register_health(health)
    servers: dict[str, Addressed] = {
        "refdata_addr": refdata,
        "marketdata_addr": marketdata,
        "rfq_addr": rfq,
        "identity_addr": identity,
    }
    return EmbeddedPlatform(settings, platform, health, store, identity, servers)

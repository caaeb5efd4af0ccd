"""The real profile's BFF process (`python -m bff`, run by `orion up`): orion dev's routes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from starlette.applications import Starlette

from bff.app import BffConfig, create_app
from bff.streaming.standalone import build as build_streaming
from core.health import HealthRegistry
from core.platform.web import WEB_DIST, mount_workstation
from core.settings import Settings
from services.identity.config import IdentitySettings
from services.identity.seed import WORKSTATION_CLIENT


def ui_config(identity: IdentitySettings) -> dict[str, str]:
    """What the page needs at start-up: here the identity provider runs as its own process,
    so the issuer is its own origin (orion dev mounts it at /identity instead)."""
    return {
        "oidcIssuer": identity.issuer,
        "oidcClientId": WORKSTATION_CLIENT,
        "oidcScope": "openid profile offline_access orion",
    }


def build_app(
    settings: Settings,
    health: HealthRegistry,
    config: BffConfig | None = None,
    dist: Path = WEB_DIST,
    export_metrics: bool = True,
) -> tuple[Starlette, bool]:
    """The BFF with the market-data hub (`/graphql/stream`, fed by Kafka, snapshots from
    Redis) and the workstation at `/`, as `orion dev` serves them.

    Returns the app and whether the built workstation is served. `export_metrics`: the hub's
    Prometheus collector goes in the process-wide registry, so only once per process.
    """
    base = config or BffConfig.from_settings(settings)
    streaming = build_streaming(settings, validator=base.validator, export_metrics=export_metrics)
    health.register("streaming", streaming.health)
    app = create_app(health, replace(base, streaming=streaming))
    return app, mount_workstation(app, ui_config(IdentitySettings()), dist)

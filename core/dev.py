"""The embedded profile: every component in one process, state under ORION_HOME, no servers."""

from __future__ import annotations

import sqlite3

import uvicorn

from bff.app import create_app
from core.health import ComponentHealth, HealthRegistry
from core.logging import configure_logging
from core.settings import Settings


def _embedded_health(settings: Settings) -> HealthRegistry:
    health = HealthRegistry()
    db_path = settings.data_dir / "orion.db"

    async def database() -> ComponentHealth:
        with sqlite3.connect(db_path) as conn:
            conn.execute("select 1").fetchone()
        return ComponentHealth("database", True, f"sqlite {db_path}")

    health.register("database", database)
    return health


def run_embedded(settings: Settings, port: int) -> None:
    configure_logging(settings.log_level, settings.log_json)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(_embedded_health(settings))
    print(f"Orion (embedded profile) on http://{settings.http_host}:{port}", flush=True)
    uvicorn.run(app, host=settings.http_host, port=port, log_config=None, access_log=False)

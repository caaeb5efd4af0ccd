"""The one validated, frozen settings object, read from `ORION_*` environment variables."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Profile(StrEnum):
    """Which adapters a process wires: embedded (one machine, no servers) or real servers."""

    EMBEDDED = "embedded"
    REAL = "real"
    PROD = "prod"


class LocalPorts(BaseSettings):
    """Ports of the project's own server instances; chosen away from the servers' defaults."""

    model_config = SettingsConfigDict(env_prefix="ORION_PORT_", frozen=True)

    kafka: int = 19092
    kafka_controller: int = 19093
    postgres: int = 15432
    redis: int = 16379


class Settings(BaseSettings):
    """Platform configuration. Read once (see `get_settings`), never mutated."""

    model_config = SettingsConfigDict(env_prefix="ORION_", frozen=True, extra="ignore")

    profile: Profile = Profile.EMBEDDED
    env: str = Field(default="dev", pattern=r"^[a-z][a-z0-9-]{0,15}$")
    home: Path = REPO_ROOT / ".orion"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "INFO"
    log_json: bool = True

    # Overrides pointing at existing servers; when unset the project's own instances are used.
    kafka_bootstrap: str | None = None
    database_url: str | None = None
    redis_url: str | None = None
    # Per-role database URLs (JSON object, role -> URL) for servers that need credentials:
    # prod passes them in the environment. Unset roles connect as the database_url's host and
    # database with the role name as user and no password (local servers trust 127.0.0.1).
    db_role_urls: dict[str, str] = Field(default_factory=dict)

    ports: LocalPorts = Field(default_factory=LocalPorts)

    # Tracing: where spans go (none | console | otlp) and the OTLP collector endpoint.
    otel_exporter: str = Field(default="none", pattern=r"^(none|console|otlp)$")
    otel_otlp_endpoint: str = "http://127.0.0.1:4317"

    # Cyclic GC thresholds of every long-running process (core/heap.py, ADR 0017); JSON list.
    gc_thresholds: tuple[int, int, int] = (700, 100, 10)
    # The reference-data gRPC service the BFF calls (port 0 in tests binds a free port).
    refdata_addr: str = "127.0.0.1:50061"
    # The market-data snapshot gRPC service (python -m services.marketdata).
    marketdata_addr: str = "127.0.0.1:50062"
    # Prometheus /metrics of the market-data process on 127.0.0.1 (0 disables).
    marketdata_metrics_port: int = Field(default=9462, ge=0, le=65535)
    # The RFQ gRPC service (python -m services.rfq).
    rfq_addr: str = "127.0.0.1:50063"
    # The identity service's gRPC API (admin + ui preferences; ORION_IDENTITY_ADMIN_GRPC_PORT).
    identity_addr: str = "127.0.0.1:50071"
    # `orion up` runs only these registry entries (comma-separated names); empty runs them all.
    processes: str = ""

    @field_validator("http_host")
    @classmethod
    def _loopback_only_by_default(cls, value: str) -> str:
        if not value:
            raise ValueError("http_host must not be empty")
        return value

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def effective_kafka_bootstrap(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{self.ports.kafka}"

    def effective_database_url(self) -> str:
        """Async SQLAlchemy URL: Postgres for the real profile, SQLite for the embedded one."""
        if self.database_url:
            return self.database_url
        if self.profile is Profile.EMBEDDED:
            return f"sqlite+aiosqlite:///{self.data_dir / 'orion.db'}"
        return f"postgresql+asyncpg://orion@127.0.0.1:{self.ports.postgres}/orion"

    def database_url_for(self, role: str) -> str:
        """The URL a process connects with as its own database role (Postgres profiles); a
        SQLite database has no roles, so its URL is returned as it is."""
        if role in self.db_role_urls:
            return self.db_role_urls[role]
        if self.effective_database_url().startswith("sqlite"):
            return self.effective_database_url()
        # Imported here: the CLI reads settings on every command and must not load SQLAlchemy.
        from sqlalchemy.engine import URL, make_url

        owner = make_url(self.effective_database_url())
        # Built anew, not `.set()`: the owner's password must never travel with another role.
        url = URL.create(
            owner.drivername, username=role, host=owner.host, port=owner.port,
            database=owner.database, query=owner.query,
        )  # fmt: skip
        return url.render_as_string(hide_password=False)

    def effective_redis_url(self) -> str:
        return self.redis_url or f"redis://127.0.0.1:{self.ports.redis}/0"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

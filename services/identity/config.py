"""Identity service settings (`ORION_IDENTITY_*`): issuer, token lifetimes, lockout, key home."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import Settings


class IdentitySettings(BaseSettings):
    """Lifetimes in seconds; `keys_dir` defaults to ORION_HOME/identity/keys (never committed)."""

    model_config = SettingsConfigDict(env_prefix="ORION_IDENTITY_", frozen=True, extra="ignore")

    issuer: str = "http://127.0.0.1:8001"
    host: str = "127.0.0.1"
    port: int = Field(default=8001, ge=0, le=65535)
    admin_grpc_port: int = Field(default=50071, ge=0, le=65535)
    audience: str = "orion-bff"
    access_token_ttl_s: int = Field(default=300, ge=10)
    id_token_ttl_s: int = Field(default=300, ge=10)
    refresh_token_ttl_s: int = Field(default=8 * 3600, ge=60)
    # Browser session at the identity provider (FR-IDENT-04: session timeout configurable).
    session_ttl_s: int = Field(default=8 * 3600, ge=60)
    auth_code_ttl_s: int = Field(default=60, ge=5, le=600)
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_duration_s: int = Field(default=900, ge=1)
    keys_dir: Path | None = None
    # argon2id cost: OWASP's minimum (m=19 MiB, t=2, p=1). RFC 9106's 64 MiB / t=3 took ~1 s per
    # login on the shared 2-core box; raise these where logins are rare and cores plentiful.
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19456, ge=8)
    secure_cookies: bool = False
    # Browser origins allowed to call discovery/token/revoke when the IdP has its own port.
    cors_origins: tuple[str, ...] = ("http://127.0.0.1:8000", "http://localhost:8000")

    def key_home(self, platform: Settings) -> Path:
        return self.keys_dir or platform.home / "identity" / "keys"

"""BFF limits and session settings (`ORION_BFF_*`), read once; prod turns introspection off."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import Profile, Settings


class BffLimits(BaseSettings):
    """Guards against expensive or abusive operations; the gateway applies the same limits."""

    model_config = SettingsConfigDict(env_prefix="ORION_BFF_", frozen=True, extra="ignore")

    max_depth: int = Field(default=10, ge=1)
    max_tokens: int = Field(default=2000, ge=10)
    max_aliases: int = Field(default=15, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_ws_message_bytes: int = Field(default=64 * 1024, ge=1024)
    max_subscriptions_per_connection: int = Field(default=50, ge=1)
    introspection: bool = True
    # Operations per user per minute unless the token's entitlements say otherwise.
    rate_per_minute: int = Field(default=600, ge=1)
    # Sessions: server ping cadence, idle cut-off, hard lifetime, init wait, shutdown drain.
    ping_interval_s: float = Field(default=15.0, gt=0)
    idle_timeout_s: float = Field(default=300.0, gt=0)
    max_lifetime_s: float = Field(default=8 * 3600.0, gt=0)
    connection_init_timeout_s: float = Field(default=10.0, gt=0)
    drain_timeout_s: float = Field(default=5.0, ge=0)
    # Downstream calls.
    grpc_timeout_s: float = Field(default=1.0, gt=0)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_s: float = Field(default=5.0, gt=0)

    @classmethod
    def for_settings(cls, settings: Settings) -> BffLimits:
        limits = cls()
        if settings.profile is Profile.PROD:
            return limits.model_copy(update={"introspection": False})
        return limits

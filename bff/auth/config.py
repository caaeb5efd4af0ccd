"""Auth configuration (`ORION_AUTH_*`): which issuer to trust and where its claims live."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from bff.auth.claims import ClaimMapping


class AuthSettings(BaseSettings):
    """Pointing the platform at Keycloak or Cognito changes only these values."""

    model_config = SettingsConfigDict(env_prefix="ORION_AUTH_", frozen=True, extra="ignore")

    issuer: str = "http://127.0.0.1:8001"
    audience: str = "orion-bff"
    jwks_uri: str | None = None
    algorithms: tuple[str, ...] = ("RS256", "PS256", "ES256")
    leeway_s: int = 30
    jwks_ttl_s: float = 600.0
    jwks_min_refresh_s: float = 10.0
    tenant_claim: str = "tenant_id"
    roles_claim: str = "roles"
    entitlements_claim: str = "entitlements"
    role_prefix: str = ""

    def claim_mapping(self) -> ClaimMapping:
        return ClaimMapping(
            tenant_claim=self.tenant_claim,
            roles_claim=self.roles_claim,
            entitlements_claim=self.entitlements_claim,
            role_prefix=self.role_prefix,
        )

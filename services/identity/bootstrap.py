"""Wires the identity service for a profile: database, keys, Authlib server, login, admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bff.auth import StaticKeySource, TokenValidator, shared_revocation_list
from bff.auth.revocation import RevocationList
from core.db import Database
from core.settings import Settings, get_settings
from services.identity.admin import IdentityAdmin
from services.identity.config import IdentitySettings
from services.identity.keys import ALGORITHM, KeyStore
from services.identity.login import LoginService, login_page
from services.identity.oauth import SCOPES, OrionAuthorizationServer
from services.identity.passwords import Passwords
from services.identity.store import IdentityRepo
from services.identity.tokens import TokenFactory


@dataclass
class IdentityService:
    settings: IdentitySettings
    db: Database
    keys: KeyStore
    repo: IdentityRepo
    factory: TokenFactory
    server: OrionAuthorizationServer
    revocations: RevocationList
    validator: TokenValidator
    login: LoginService
    admin: IdentityAdmin

    def discovery_document(self) -> dict[str, Any]:
        base = self.settings.issuer.rstrip("/")
        return {
            "issuer": self.settings.issuer,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "revocation_endpoint": f"{base}/revoke",
            "end_session_endpoint": f"{base}/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "scopes_supported": SCOPES,
            "claims_supported": ["sub", "tenant_id", "roles", "entitlements", "sid"],
        }

    def login_page(self, return_to: str, csrf: str, error: str = "") -> str:
        # Relative action: works at the root and when mounted under a prefix (/identity).
        return login_page("login", return_to, csrf, error)


def build(
    settings: IdentitySettings | None = None,
    *,
    platform: Settings | None = None,
    db: Database | None = None,
    keys: KeyStore | None = None,
    revocations: RevocationList | None = None,
) -> IdentityService:
    """Assemble the service; tests pass their own database, keys and revocation list."""
    from services.identity.grants import register_grants
    from services.identity.revocation import OrionRevocationEndpoint

    settings = settings or IdentitySettings()
    platform = platform or get_settings()
    db = db or Database.from_settings(platform)
    keys = keys or KeyStore.load_or_create(settings.key_home(platform))
    revocations = revocations or shared_revocation_list()
    passwords = Passwords(
        time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib
    )
    repo = IdentityRepo(db, passwords)
    factory = TokenFactory(keys, settings)
    server = OrionAuthorizationServer(repo, factory, settings)
    register_grants(server)
    server.register_endpoint(OrionRevocationEndpoint(server, revocations))
    validator = TokenValidator(
        issuer=settings.issuer,
        audience=settings.audience,
        keys=StaticKeySource(keys.jwks),
        revocations=revocations,
    )
    login = LoginService(repo, settings, revocations)
    admin = IdentityAdmin(repo, revocations)
    return IdentityService(
        settings, db, keys, repo, factory, server, revocations, validator, login, admin
    )

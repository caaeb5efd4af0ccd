"""Mints JWT access tokens (RFC 9068 shape) with the current key; opaque refresh tokens."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from joserfc import jwt

from services.identity.config import IdentitySettings
from services.identity.keys import ALGORITHM, KeyStore
from services.identity.views import ClientView, UserGrant


class TokenFactory:
    def __init__(
        self, keys: KeyStore, settings: IdentitySettings, clock: Callable[[], float] = time.time
    ) -> None:
        self.keys = keys
        self.settings = settings
        self._clock = clock

    def sign(self, claims: dict[str, Any], typ: str = "at+jwt") -> str:
        key = self.keys.signing_key
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": typ}
        return jwt.encode(header, claims, key, algorithms=[ALGORITHM])

    def access_claims(
        self,
        *,
        sub: str,
        tenant_id: str,
        roles: list[str],
        entitlements: dict[str, Any],
        client_id: str,
        scope: str,
        session_id: str | None = None,
        username: str | None = None,
        ttl_s: int | None = None,
    ) -> dict[str, Any]:
        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "sub": sub,
            "tenant_id": tenant_id,
            "roles": roles,
            "entitlements": entitlements,
            "client_id": client_id,
            "azp": client_id,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + (ttl_s or self.settings.access_token_ttl_s),
            "jti": secrets.token_urlsafe(16),
        }
        if session_id:
            claims["sid"] = session_id
        if username:
            claims["preferred_username"] = username
        return claims

    def for_user(self, user: UserGrant, client_id: str, scope: str) -> str:
        return self.sign(
            self.access_claims(
                sub=user.user_id,
                tenant_id=user.tenant_id,
                roles=list(user.roles),
                entitlements=user.entitlements,
                client_id=client_id,
                scope=scope,
                session_id=user.session_id,
                username=user.username,
            )
        )

    def for_service(self, client: ClientView, scope: str) -> str:
        """Client credentials: the service account is the subject, acting for its one tenant."""
        if client.tenant_id is None:
            raise ValueError(f"client {client.client_id} has no tenant for client credentials")
        return self.sign(
            self.access_claims(
                sub=f"service:{client.client_id}",
                tenant_id=client.tenant_id,
                roles=list(client.roles),
                entitlements=client.entitlements,
                client_id=client.client_id,
                scope=scope,
            )
        )


def new_refresh_token() -> str:
    return secrets.token_urlsafe(48)

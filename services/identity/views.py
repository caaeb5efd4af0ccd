"""Immutable views of stored rows implementing Authlib's model mixins (read in Authlib's thread)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import scope_to_list

from services.identity.passwords import Passwords

SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post"})


@dataclass(frozen=True)
class ClientView(ClientMixin):  # type: ignore[misc]
    client_id: str
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scope: str
    tenant_id: str | None
    roles: tuple[str, ...]
    entitlements: dict[str, Any]
    passwords: Passwords = field(repr=False, compare=False)

    @property
    def public(self) -> bool:
        return self.secret_hash is None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return self.scope
        allowed = set(scope_to_list(self.scope))
        return " ".join(s for s in scope_to_list(scope) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match only: no prefix tricks

    def check_client_secret(self, client_secret: str) -> bool:
        # Called from Authlib's worker thread, so the slow argon2 check does not block the loop.
        return self.secret_hash is not None and self.passwords.verify_sync(
            self.secret_hash, client_secret
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none" if self.public else method in SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass(frozen=True)
class CodeView(AuthorizationCodeMixin):  # type: ignore[misc]
    client_id: str
    user_id: str
    tenant_id: str
    session_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str] | None:
        return ["pwd"]


@dataclass(frozen=True)
class RefreshView(TokenMixin):  # type: ignore[misc]
    token_hash: str
    family_id: str
    client_id: str
    user_id: str
    tenant_id: str
    session_id: str
    scope: str
    expires_at: datetime
    now: datetime

    def check_client(self, client: ClientView) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.expires_at - self.now).total_seconds()))

    def is_expired(self) -> bool:
        return self.now >= self.expires_at

    def is_revoked(self) -> bool:
        return False  # a revoked token is never turned into a view


@dataclass(frozen=True)
class UserGrant:
    """The user a grant acts for, with the login session its tokens belong to."""

    user_id: str
    tenant_id: str
    username: str
    roles: tuple[str, ...]
    entitlements: dict[str, Any]
    session_id: str
    auth_time: int = 0

    def get_user_id(self) -> str:
        return self.user_id

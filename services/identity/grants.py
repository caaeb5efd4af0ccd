"""Orion's grants on Authlib: code + PKCE (S256 only) + OIDC id_token, rotating refresh, service."""

from __future__ import annotations

import time
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode

from services.identity.keys import ALGORITHM
from services.identity.oauth import OrionAuthorizationServer
from services.identity.views import ClientView, CodeView, RefreshView, UserGrant

ANY_CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "none"]


def _server(grant: Any) -> OrionAuthorizationServer:
    server = grant.server
    assert isinstance(server, OrionAuthorizationServer)
    return server


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ANY_CLIENT_AUTH

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        server, user, data = _server(self), request.user, request.payload.data
        view = CodeView(
            client_id=request.client.client_id,
            user_id=user.user_id,
            tenant_id=user.tenant_id,
            session_id=user.session_id,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope or "",
            nonce=data.get("nonce"),
            code_challenge=data["code_challenge"],
            code_challenge_method=data.get("code_challenge_method", "S256"),
            auth_time=user.auth_time,
        )
        server.bridge.run(server.repo.save_code, code, view, server.settings.auth_code_ttl_s)

    def query_authorization_code(self, code: str, client: ClientView) -> CodeView | None:
        server = _server(self)
        return server.bridge.run(server.repo.claim_code, code, client.client_id)

    def delete_authorization_code(self, authorization_code: CodeView) -> None:
        return None  # claimed (spent) atomically by query_authorization_code

    def authenticate_user(self, authorization_code: CodeView) -> UserGrant | None:
        server = _server(self)
        code = authorization_code
        grant = server.repo.user_grant
        return server.bridge.run(grant, code.user_id, code.session_id, code.tenant_id)


class S256Pkce(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, S256 only: `plain` would hand the verifier to any eavesdropper."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: CodeView) -> str:
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: CodeView) -> str:
        return authorization_code.code_challenge_method


class OrionOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """Adds the OIDC id_token when the `openid` scope was granted."""

    def __init__(self, server: OrionAuthorizationServer) -> None:
        super().__init__(require_nonce=False)
        self._server = server

    def resolve_client_private_key(self, client: ClientView) -> Any:
        return self._server.factory.keys.signing_key

    def get_client_algorithm(self, client: ClientView) -> str:
        return ALGORITHM

    def get_encode_header(self, client: ClientView) -> dict[str, str]:
        return {"alg": ALGORITHM, "kid": self._server.factory.keys.signing_key.kid or ""}

    def get_client_claims(self, client: ClientView) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self._server.settings.issuer,
            "aud": [client.client_id],
            "iat": now,
            "exp": now + self._server.settings.id_token_ttl_s,
        }

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # codes are single-use, so a replayed nonce cannot redeem twice

    def generate_user_info(self, user: UserGrant, scope: str) -> UserInfo:
        return UserInfo(
            sub=user.user_id,
            preferred_username=user.username,
            tenant_id=user.tenant_id,
            roles=list(user.roles),
            sid=user.session_id,
        )


class RotatingRefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ANY_CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshView | None:
        server = _server(self)
        return server.bridge.run(server.repo.use_refresh, refresh_token)

    def authenticate_user(self, refresh_token: RefreshView) -> UserGrant | None:
        server = _server(self)
        token = refresh_token
        grant = server.repo.user_grant
        return server.bridge.run(grant, token.user_id, token.session_id, token.tenant_id)

    def revoke_old_credential(self, refresh_token: RefreshView) -> None:
        return None  # spent atomically by authenticate_refresh_token


class ServiceAccountGrant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def register_grants(server: OrionAuthorizationServer) -> None:
    server.register_grant(CodeGrant, [S256Pkce(required=True), OrionOpenIDCode(server)])
    server.register_grant(RotatingRefreshGrant)
    server.register_grant(ServiceAccountGrant)

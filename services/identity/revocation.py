"""RFC 7009 revocation: a refresh token revokes its family; an access token is listed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc7009 import RevocationEndpoint
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from bff.auth.revocation import RevocationList
from services.identity.grants import ANY_CLIENT_AUTH
from services.identity.keys import ALGORITHM
from services.identity.oauth import OrionAuthorizationServer
from services.identity.views import ClientView


@dataclass(frozen=True)
class Revocable:
    kind: str  # "refresh_token" | "access_token"
    value: str
    client_id: str
    jti: str = ""
    expires_at: int = 0

    def check_client(self, client: ClientView) -> bool:
        return client.client_id == self.client_id


class OrionRevocationEndpoint(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = ANY_CLIENT_AUTH

    def __init__(self, server: OrionAuthorizationServer, revocations: RevocationList) -> None:
        super().__init__(server)
        self._orion = server
        self._revocations = revocations

    def query_token(self, token_string: str, token_type_hint: str | None) -> Revocable | None:
        if token_string.count(".") == 2:
            return self._access_token(token_string)
        row = self._orion.bridge.run(self._orion.repo.find_refresh, token_string)
        if row is None:
            return None
        return Revocable("refresh_token", token_string, row.client_id)

    def _access_token(self, token: str) -> Revocable | None:
        keys = KeySet.import_key_set(self._orion.factory.keys.jwks())  # type: ignore[arg-type]
        try:
            claims: dict[str, Any] = jwt.decode(token, keys, algorithms=[ALGORITHM]).claims
        except (JoseError, ValueError):
            return None  # not ours or garbage: RFC 7009 answers 200 all the same
        return Revocable(
            "access_token",
            token,
            str(claims.get("client_id", "")),
            jti=str(claims.get("jti", "")),
            expires_at=int(claims.get("exp", 0)),
        )

    def revoke_token(self, token: Revocable, request: OAuth2Request) -> None:
        if token.kind == "access_token":
            if token.jti:
                self._orion.bridge.run(self._revocations.revoke_token, token.jti, token.expires_at)
            return
        self._orion.bridge.run(self._orion.repo.revoke_refresh_family, token.value, token.client_id)

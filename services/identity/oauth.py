"""Authlib's OAuth 2 / OIDC server wired to Orion: grants, PKCE (S256 only), revocation.

Authlib's grants are synchronous; the app runs them in a worker thread and their storage hooks
hop back onto the event loop through `Bridge`, so storage stays async (SQLModel, asyncpg).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

import anyio.from_thread
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidScopeError

from services.identity.config import IdentitySettings
from services.identity.store import IdentityRepo, new_id
from services.identity.tokens import TokenFactory, new_refresh_token
from services.identity.views import ClientView, UserGrant

T = TypeVar("T")
SCOPES = ["openid", "profile", "offline_access", "orion"]


class Bridge:
    """Runs a coroutine function on the event loop from Authlib's worker thread."""

    def run(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        return anyio.from_thread.run(fn, *args)


class FormPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class HttpRequest(OAuth2Request):  # type: ignore[misc]
    """An HTTP request already read by Starlette (Authlib must not touch the ASGI stream)."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = dict(query)
        self._form = dict(form)
        self.payload = FormPayload(query + form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


Response = tuple[int, Any, list[tuple[str, str]]]


class OrionAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(
        self,
        repo: IdentityRepo,
        factory: TokenFactory,
        settings: IdentitySettings,
        bridge: Bridge | None = None,
    ) -> None:
        super().__init__(scopes_supported=SCOPES)
        self.repo = repo
        self.factory = factory
        self.settings = settings
        self.bridge = bridge or Bridge()
        self.register_token_generator("default", self._generate)

    def query_client(self, client_id: str) -> ClientView | None:
        return self.bridge.run(self.repo.client_view, client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        refresh = token.get("refresh_token")
        if not refresh or not isinstance(request.user, UserGrant):
            return
        # A rotated token joins its predecessor's family, so reuse can revoke them all.
        previous = request.refresh_token
        family = previous.family_id if previous is not None else new_id()
        self.bridge.run(
            self.repo.save_refresh,
            refresh,
            request.user,
            request.client.client_id,
            token.get("scope", ""),
            family,
            self.settings.refresh_token_ttl_s,
        )

    def create_oauth2_request(self, request: HttpRequest) -> HttpRequest:
        return request

    def create_json_request(self, request: HttpRequest) -> HttpRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        return status, body, list(headers or [])

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def validate_requested_scope(self, scope: str | None) -> None:
        if scope and not set(scope.split()) <= set(SCOPES):
            raise InvalidScopeError(f"unknown scope in {scope!r}")

    def _generate(
        self,
        grant_type: str,
        client: ClientView,
        user: UserGrant | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        scope = scope or ""
        if user is None:
            access = self.factory.for_service(client, scope)
        else:
            access = self.factory.for_user(user, client.client_id, scope)
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": self.settings.access_token_ttl_s,
            "scope": scope,
        }
        if include_refresh_token and user is not None:
            token["refresh_token"] = new_refresh_token()
        return token

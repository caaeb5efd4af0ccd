"""Issuer signing keys: OIDC discovery, a cached JWKS, a refetch when an unknown kid shows up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from bff.auth.errors import IssuerUnavailable

# joserfc's key classes share no public base that mypy sees; the key set hands out this union.
SigningKey = Any


class KeySource(Protocol):
    async def get(self, kid: str) -> SigningKey | None:
        """The key with this kid, refreshing the cache at most once per call if it is unknown."""
        ...


class StaticKeySource:
    """A fixed key set: tests and the embedded profile, where the issuer's keys are local.

    Given a callable, it is asked on every lookup (keys may rotate); the parsed key set is reused
    while the published kids stay the same, since parsing RSA keys costs more than verifying.
    """

    def __init__(self, jwks: Mapping[str, Any] | Callable[[], Mapping[str, Any]]) -> None:
        self._jwks = jwks
        self._kids: tuple[str, ...] = ()
        self._keys: KeySet | None = None

    async def get(self, kid: str) -> SigningKey | None:
        raw = self._jwks() if callable(self._jwks) else self._jwks
        kids = tuple(str(k.get("kid", "")) for k in raw.get("keys", []))
        if self._keys is None or kids != self._kids:
            self._keys = KeySet.import_key_set(dict(raw))  # type: ignore[arg-type]
            self._kids = kids
        return _find(self._keys, kid)


class OidcKeySource:
    """Fetches `jwks_uri` via discovery; refetches on an unknown kid (rate-limited)."""

    def __init__(
        self,
        issuer: str,
        *,
        client: httpx.AsyncClient | None = None,
        jwks_uri: str | None = None,
        ttl_s: float = 600.0,
        min_refresh_interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._issuer = issuer.rstrip("/")
        self._client = client or httpx.AsyncClient(timeout=5.0)
        self._jwks_uri = jwks_uri
        self._ttl_s = ttl_s
        self._min_refresh_s = min_refresh_interval_s
        self._clock = clock
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    async def get(self, kid: str) -> SigningKey | None:
        if self._age() > self._ttl_s:
            await self._refresh(min_age_s=self._ttl_s)
        key = _find(self._keys, kid)
        if key is None:
            # An unknown kid usually means the issuer rotated keys; a forged kid must not let an
            # attacker hammer the issuer, hence the minimum age before a refetch.
            await self._refresh(min_age_s=self._min_refresh_s)
            key = _find(self._keys, kid)
        return key

    def _age(self) -> float:
        return self._clock() - self._fetched_at

    async def _refresh(self, *, min_age_s: float) -> None:
        async with self._lock:
            if self._keys is not None and self._age() < min_age_s:
                return  # another caller refreshed while this one waited for the lock
            uri = self._jwks_uri or await self._discover()
            self._keys = KeySet.import_key_set(await self._get_json(uri))  # type: ignore[arg-type]
            self._fetched_at = self._clock()
            self.fetch_count += 1

    async def _discover(self) -> str:
        doc = await self._get_json(f"{self._issuer}/.well-known/openid-configuration")
        if str(doc.get("issuer", "")).rstrip("/") != self._issuer:
            raise IssuerUnavailable("discovery document names another issuer")
        uri = doc.get("jwks_uri")
        if not isinstance(uri, str):
            raise IssuerUnavailable("discovery document has no jwks_uri")
        self._jwks_uri = uri
        return uri

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._client.get(url)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise IssuerUnavailable(f"cannot fetch {url}: {exc}") from exc
        if not isinstance(body, dict):
            raise IssuerUnavailable(f"{url} did not return an object")
        return body


def _find(keys: KeySet | None, kid: str) -> SigningKey | None:
    if keys is None:
        return None
    try:
        return keys.get_by_kid(kid)
    except (ValueError, JoseError):
        return None

"""OIDC discovery + cached JWKS: one fetch for many tokens, a refetch after key rotation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bff.auth import InMemoryRevocationList, OidcKeySource, TokenValidator
from bff.auth.errors import IssuerUnavailable, UnknownSigningKey

from .tokens import AUDIENCE, ISSUER, KeyRing


class RotatingIssuer:
    """A tiny issuer app whose published key set the test changes, counting JWKS requests."""

    def __init__(self, ring: KeyRing, *kids: str, discovery_issuer: str = ISSUER) -> None:
        self.ring, self.kids, self.jwks_hits = ring, kids, 0
        self.discovery_issuer = discovery_issuer
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
            ]
        )

    async def discovery(self, _: Request) -> JSONResponse:
        body: dict[str, Any] = {"issuer": self.discovery_issuer, "jwks_uri": f"{ISSUER}/jwks"}
        return JSONResponse(body)

    async def jwks(self, _: Request) -> JSONResponse:
        self.jwks_hits += 1
        return JSONResponse(self.ring.jwks(*self.kids))


def make_validator(
    issuer: RotatingIssuer, now: list[float]
) -> tuple[TokenValidator, OidcKeySource]:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=issuer.app))
    keys = OidcKeySource(ISSUER, client=client, min_refresh_interval_s=10, clock=lambda: now[0])
    validator = TokenValidator(
        issuer=ISSUER, audience=AUDIENCE, keys=keys, revocations=InMemoryRevocationList()
    )
    return validator, keys


async def test_jwks_is_fetched_once_for_many_tokens() -> None:
    ring = KeyRing()
    issuer = RotatingIssuer(ring, "rsa-1")
    validator, _ = make_validator(issuer, [0.0])
    for _ in range(5):
        await validator.validate(ring.mint())
    assert issuer.jwks_hits == 1


async def test_unknown_kid_triggers_refetch_after_rotation() -> None:
    ring, now = KeyRing(), [0.0]
    issuer = RotatingIssuer(ring, "rsa-1")
    validator, _ = make_validator(issuer, now)
    await validator.validate(ring.mint(kid="rsa-1"))
    issuer.kids = ("rsa-1", "rsa-2")  # the issuer rotates in a second key
    now[0] = 11.0
    assert (await validator.validate(ring.mint(kid="rsa-2"))).sub == "user-1"
    assert issuer.jwks_hits == 2


async def test_forged_kids_cannot_hammer_the_issuer() -> None:
    ring, now = KeyRing(), [0.0]
    issuer = RotatingIssuer(ring, "rsa-1")
    validator, _ = make_validator(issuer, now)
    await validator.validate(ring.mint())
    for _ in range(20):
        with pytest.raises(UnknownSigningKey):
            await validator.validate(ring.mint(kid="rsa-2"))
    assert issuer.jwks_hits == 1


async def test_discovery_naming_another_issuer_is_refused() -> None:
    ring = KeyRing()
    issuer = RotatingIssuer(ring, "rsa-1", discovery_issuer="https://evil.test")
    validator, _ = make_validator(issuer, [0.0])
    with pytest.raises(IssuerUnavailable):
        await validator.validate(ring.mint())


async def test_unreachable_issuer_is_reported_as_unavailable() -> None:
    keys = OidcKeySource("http://127.0.0.1:1", client=httpx.AsyncClient(timeout=1.0))
    with pytest.raises(IssuerUnavailable):
        await keys.get("rsa-1")

"""Test issuer for BFF tests: an RSA key that mints access tokens H5's validator accepts."""

from __future__ import annotations

import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from bff.auth import InMemoryRevocationList, StaticKeySource, TokenValidator

ISSUER = "https://issuer.bff.test"
AUDIENCE = "orion-bff"

ALL_ENTITLEMENTS = {
    "asset_classes": ["*"],
    "instruments": ["*"],
    "product_groups": ["*"],
    "venues": ["*"],
    "max_notional": "100000000",
}


class Issuer:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "bff-1", "alg": "RS256"})

    def validator(self) -> TokenValidator:
        jwks = {"keys": [self.key.as_dict(private=False)]}
        return TokenValidator(
            issuer=ISSUER,
            audience=AUDIENCE,
            keys=StaticKeySource(jwks),
            revocations=InMemoryRevocationList(),
        )

    def mint(
        self,
        *,
        sub: str = "trader-1",
        tenant: str = "acme",
        roles: tuple[str, ...] = ("ROLE_TRADER",),
        entitlements: dict[str, Any] | None = None,
        ttl_s: int = 300,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": sub,
            "tenant_id": tenant,
            "roles": list(roles),
            "entitlements": ALL_ENTITLEMENTS if entitlements is None else entitlements,
            "preferred_username": sub,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            "jti": f"jti-{sub}-{now}",
        }
        header = {"alg": "RS256", "kid": "bff-1", "typ": "at+jwt"}
        return jwt.encode(header, claims, self.key, algorithms=["RS256"])

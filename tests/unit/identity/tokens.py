"""Test helpers: an RSA issuer that mints access tokens, and attack-token builders."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

ISSUER = "https://issuer.test"
AUDIENCE = "orion-bff"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def default_claims(now: int | None = None, **overrides: Any) -> dict[str, Any]:
    now = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "tenant_id": "tenant-a",
        "roles": ["ROLE_TRADER"],
        "entitlements": {
            "asset_classes": ["FX"],
            "instruments": ["EURUSD"],
            "product_groups": ["G10"],
            "venues": ["LP1"],
            "max_notional": "5000000",
            "rate_limits": {"rfq_per_minute": 60},
        },
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": "jti-1",
        "sid": "sid-1",
    }
    claims.update(overrides)
    return claims


@dataclass
class KeyRing:
    """Two RSA keys (rotation) plus an EC key; mints tokens with any of them."""

    keys: dict[str, RSAKey | ECKey] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kid in ("rsa-1", "rsa-2"):
            self.keys[kid] = RSAKey.generate_key(
                2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}
            )
        self.keys["ec-1"] = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"})

    def jwks(self, *kids: str) -> dict[str, Any]:
        chosen = kids or tuple(self.keys)
        return {"keys": [self.keys[k].as_dict(private=False) for k in chosen]}

    def mint(
        self, claims: dict[str, Any] | None = None, kid: str = "rsa-1", alg: str = "RS256"
    ) -> str:
        header = {"alg": alg, "kid": kid, "typ": "at+jwt"}
        return jwt.encode(header, claims or default_claims(), self.keys[kid], algorithms=[alg])


def unsigned(claims: dict[str, Any], kid: str = "rsa-1") -> str:
    header = {"alg": "none", "kid": kid, "typ": "JWT"}
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."

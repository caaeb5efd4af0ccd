"""Token attack suite through the running BFF (HTTP on 127.0.0.1:0): every attack is answered
UNAUTHENTICATED and no resolver reaches the reference-data service."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from bff.app import BffConfig
from bff.auth import InMemoryRevocationList, StaticKeySource, TokenValidator
from bff.testing import running_bff, running_refdata
from orion.refdata.v1 import refdata_pb2 as pb
from services.refdata.store import RefDataStore
from tests.unit.identity.tokens import AUDIENCE, ISSUER, KeyRing, b64, default_claims, unsigned

pytestmark = pytest.mark.integration

QUERY = {"query": "{ instruments { id } }"}


class CountingStore(RefDataStore):
    calls = 0

    def list_instruments(self, tenant: str, asset_class: int = 0) -> list[pb.Instrument]:
        CountingStore.calls += 1
        return super().list_instruments(tenant, asset_class)


@dataclass
class Bff:
    url: str
    ring: KeyRing
    revocations: InMemoryRevocationList

    async def ask(self, token: str | None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                f"{self.url}/graphql/workstation", json=QUERY, headers=headers
            )
        return response.json()


@pytest.fixture
async def bff() -> AsyncIterator[Bff]:
    ring, revocations = KeyRing(), InMemoryRevocationList()
    validator = TokenValidator(
        issuer=ISSUER, audience=AUDIENCE, keys=StaticKeySource(ring.jwks("rsa-1", "rsa-2")),
        revocations=revocations,
    )  # fmt: skip
    store = CountingStore.seeded()
    async with running_refdata(store=store) as (_, port):
        config = BffConfig(refdata_addr=f"127.0.0.1:{port}", validator=validator, tracing=False)
        async with running_bff(config) as url:
            yield Bff(url, ring, revocations)


def _attacks(ring: KeyRing) -> dict[str, str]:
    now = int(time.time())
    good = ring.mint()
    header, _, sig = good.split(".")
    escalated = b64(json.dumps(default_claims(tenant_id="tenant-b")).encode())
    confusion_input = ".".join(
        b64(json.dumps(p).encode()) for p in ({"alg": "HS256", "kid": "rsa-1"}, default_claims())
    )
    mac = hmac.new(
        ring.keys["rsa-1"].as_pem(private=False), confusion_input.encode(), hashlib.sha256
    )
    attacker = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    return {
        "alg_none": unsigned(default_claims()),
        "hs_rs_confusion": f"{confusion_input}.{b64(mac.digest())}",
        "wrong_key": jwt.encode({"alg": "RS256", "kid": "rsa-1"}, default_claims(), attacker),
        "expired": ring.mint(default_claims(exp=now - 60, iat=now - 400, nbf=now - 400)),
        "not_yet_valid": ring.mint(default_claims(nbf=now + 600)),
        "wrong_issuer": ring.mint(default_claims(iss="https://evil.test")),
        "wrong_audience": ring.mint(default_claims(aud="another-api")),
        "tampered": f"{header}.{escalated}.{sig}",
        "garbage": "not-a-token",
    }


async def test_every_attack_is_unauthenticated_and_reaches_no_resolver(bff: Bff) -> None:
    CountingStore.calls = 0
    for name, token in _attacks(bff.ring).items():
        body = await bff.ask(token)
        errors = body.get("errors") or []
        codes = {e.get("extensions", {}).get("code") for e in errors}
        assert codes == {"UNAUTHENTICATED"}, f"{name}: {body}"
        assert not body.get("data"), f"{name} returned data"
    assert CountingStore.calls == 0, "an attack reached the reference-data service"


async def test_revoked_user_is_unauthenticated_and_valid_token_works(bff: Bff) -> None:
    everything = {"asset_classes": ["*"], "instruments": ["*"], "venues": ["*"]}
    claims = default_claims(tenant_id="acme", now=int(time.time()) - 5, entitlements=everything)
    token = bff.ring.mint(claims)
    ok = await bff.ask(token)
    assert ok.get("errors") is None, ok
    assert ok["data"]["instruments"]
    await bff.revocations.revoke_subject("acme", "user-1")
    revoked = await bff.ask(token)
    assert {e["extensions"]["code"] for e in revoked["errors"]} == {"UNAUTHENTICATED"}

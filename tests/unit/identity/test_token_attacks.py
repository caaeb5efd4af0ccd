"""Token attack suite: every forged, stale, misdirected or revoked token is refused, typed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from bff.auth import (
    InMemoryRevocationList,
    MissingToken,
    StaticKeySource,
    TokenValidator,
    authenticate,
)
from bff.auth import errors as e

from .tokens import AUDIENCE, ISSUER, KeyRing, b64, default_claims, unsigned


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing()


@pytest.fixture
def revocations() -> InMemoryRevocationList:
    return InMemoryRevocationList()


@pytest.fixture
def validator(ring: KeyRing, revocations: InMemoryRevocationList) -> TokenValidator:
    return TokenValidator(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=StaticKeySource(ring.jwks("rsa-1", "rsa-2")),
        revocations=revocations,
        leeway_s=0,
    )


async def test_valid_token_yields_principal(ring: KeyRing, validator: TokenValidator) -> None:
    principal = await authenticate(f"Bearer {ring.mint()}", validator=validator)
    assert (principal.sub, principal.tenant_id) == ("user-1", "tenant-a")
    assert principal.token_id == "jti-1"


async def test_token_signed_by_second_active_key_is_accepted(
    ring: KeyRing, validator: TokenValidator
) -> None:
    assert (await validator.validate(ring.mint(kid="rsa-2"))).sub == "user-1"


async def test_alg_none_is_rejected(validator: TokenValidator) -> None:
    with pytest.raises(e.UnsupportedAlgorithm):
        await validator.validate(unsigned(default_claims()))


async def test_hs256_signed_with_public_key_is_rejected(
    ring: KeyRing, validator: TokenValidator
) -> None:
    # Classic HS/RS confusion: HMAC keyed with the issuer's public key, which anyone can fetch.
    public_pem = ring.keys["rsa-1"].as_pem(private=False)
    signing_input = ".".join(
        b64(json.dumps(part).encode())
        for part in ({"alg": "HS256", "kid": "rsa-1"}, default_claims(roles=["ROLE_ADMIN"]))
    )
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{b64(mac)}"
    with pytest.raises(e.UnsupportedAlgorithm):
        await validator.validate(forged)


async def test_token_signed_with_attacker_key_reusing_kid_is_rejected(
    validator: TokenValidator,
) -> None:
    attacker = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    forged = jwt.encode({"alg": "RS256", "kid": "rsa-1"}, default_claims(), attacker)
    with pytest.raises(e.InvalidSignature):
        await validator.validate(forged)


async def test_unknown_kid_is_rejected(ring: KeyRing, validator: TokenValidator) -> None:
    with pytest.raises(e.UnknownSigningKey):
        await validator.validate(ring.mint(kid="ec-1", alg="ES256"))


async def test_ec_key_with_rsa_algorithm_is_rejected(ring: KeyRing) -> None:
    validator = TokenValidator(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=StaticKeySource(ring.jwks("ec-1")),
        revocations=InMemoryRevocationList(),
    )
    header = {"alg": "RS256", "kid": "ec-1"}
    forged = jwt.encode(header, default_claims(), ring.keys["rsa-1"], algorithms=["RS256"])
    with pytest.raises(e.KeyAlgorithmMismatch):
        await validator.validate(forged)


async def test_tampered_claims_are_rejected(ring: KeyRing, validator: TokenValidator) -> None:
    header, _, signature = ring.mint().split(".")
    escalated = b64(json.dumps(default_claims(roles=["ROLE_ADMIN"])).encode())
    with pytest.raises(e.InvalidSignature):
        await validator.validate(f"{header}.{escalated}.{signature}")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"exp": int(time.time()) - 10}, e.TokenExpired),
        ({"nbf": int(time.time()) + 600}, e.TokenNotYetValid),
        ({"iat": int(time.time()) + 600}, e.TokenNotYetValid),
        ({"iss": "https://evil.test"}, e.InvalidIssuer),
        ({"aud": "some-other-api"}, e.InvalidAudience),
        ({"aud": ["a", "b"]}, e.InvalidAudience),
        ({"exp": None}, e.InvalidClaims),
        ({"exp": "tomorrow"}, e.InvalidClaims),
        ({"tenant_id": None}, e.InvalidClaims),
        ({"sub": ""}, e.InvalidClaims),
    ],
)
async def test_bad_claims_are_rejected(
    ring: KeyRing,
    validator: TokenValidator,
    overrides: dict[str, Any],
    error: type[Exception],
) -> None:
    claims = {k: v for k, v in default_claims(**overrides).items() if v is not None}
    with pytest.raises(error):
        await validator.validate(ring.mint(claims))


async def test_audience_list_containing_bff_is_accepted(
    ring: KeyRing, validator: TokenValidator
) -> None:
    token = ring.mint(default_claims(aud=["account", AUDIENCE]))
    assert (await validator.validate(token)).tenant_id == "tenant-a"


async def test_revoked_token_id_is_rejected(
    ring: KeyRing, validator: TokenValidator, revocations: InMemoryRevocationList
) -> None:
    await revocations.revoke_token("jti-1", int(time.time()) + 300)
    with pytest.raises(e.TokenRevoked):
        await validator.validate(ring.mint())


async def test_revoked_session_is_rejected(
    ring: KeyRing, validator: TokenValidator, revocations: InMemoryRevocationList
) -> None:
    await revocations.revoke_session("sid-1", int(time.time()) + 300)
    with pytest.raises(e.TokenRevoked):
        await validator.validate(ring.mint(default_claims(jti="other")))


async def test_disabled_user_tokens_issued_before_are_rejected(
    ring: KeyRing, validator: TokenValidator, revocations: InMemoryRevocationList
) -> None:
    await revocations.revoke_subject("tenant-a", "user-1")
    with pytest.raises(e.TokenRevoked):
        await validator.validate(ring.mint())


async def test_subject_revocation_does_not_touch_same_sub_in_other_tenant(
    ring: KeyRing, validator: TokenValidator, revocations: InMemoryRevocationList
) -> None:
    await revocations.revoke_subject("tenant-b", "user-1")
    assert (await validator.validate(ring.mint())).sub == "user-1"


async def test_token_issued_after_subject_revocation_is_accepted(
    ring: KeyRing, revocations: InMemoryRevocationList
) -> None:
    now = [1_000_000.0]
    clocked = InMemoryRevocationList(clock=lambda: now[0])
    await clocked.revoke_subject("tenant-a", "user-1")
    validator = TokenValidator(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=StaticKeySource(ring.jwks()),
        revocations=clocked,
        clock=lambda: 1_000_010.0,
    )
    fresh = ring.mint(default_claims(now=1_000_005))
    assert (await validator.validate(fresh)).sub == "user-1"


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d.e", "!!!.e30.sig", "W10.e30.sig", "x" * 20000],
)
async def test_malformed_tokens_are_rejected(validator: TokenValidator, token: str) -> None:
    with pytest.raises(e.AuthenticationError):
        await authenticate(f"Bearer {token}" if token else None, validator=validator)


async def test_non_bearer_scheme_is_rejected(ring: KeyRing, validator: TokenValidator) -> None:
    with pytest.raises(MissingToken):
        await authenticate(f"Basic {ring.mint()}", validator=validator)


def test_validator_refuses_to_allow_symmetric_algorithms(ring: KeyRing) -> None:
    with pytest.raises(ValueError, match="asymmetric"):
        TokenValidator(
            issuer=ISSUER,
            audience=AUDIENCE,
            keys=StaticKeySource(ring.jwks()),
            revocations=InMemoryRevocationList(),
            algorithms=("RS256", "HS256"),
        )


def test_every_authentication_error_answers_401() -> None:
    leaves = [
        e.MalformedToken, e.UnsupportedAlgorithm, e.UnknownSigningKey, e.InvalidSignature,
        e.InvalidIssuer, e.InvalidAudience, e.TokenExpired, e.TokenNotYetValid, e.TokenRevoked,
    ]  # fmt: skip
    assert {cls.http_status for cls in leaves} == {401}
    assert len({cls.code for cls in leaves}) == len(leaves)


class CountingKeys:
    """A key source that counts lookups (one per signature verification) and can drop keys."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring, self.kids, self.lookups = ring, ["rsa-1"], 0

    async def get(self, kid: str) -> Any:
        self.lookups += 1
        return await StaticKeySource(self.ring.jwks(*self.kids)).get(kid)


def _remembering(
    ring: KeyRing, revocations: InMemoryRevocationList
) -> tuple[list[float], CountingKeys, TokenValidator, str]:
    """A validator on a settable clock (TTL 60 s) and a token minted now."""
    now = [float(int(time.time()))]
    keys = CountingKeys(ring)
    validator = TokenValidator(
        issuer=ISSUER, audience=AUDIENCE, keys=keys, revocations=revocations,
        leeway_s=0, clock=lambda: now[0], verified_ttl_s=60.0,
    )  # fmt: skip
    return now, keys, validator, ring.mint(default_claims(now=int(now[0])))


async def test_a_repeated_token_is_verified_once_but_checked_every_time(
    ring: KeyRing, revocations: InMemoryRevocationList
) -> None:
    now, keys, validator, token = _remembering(ring, revocations)
    for _ in range(3):
        assert (await validator.validate(token)).sub == "user-1"
    assert keys.lookups == 1
    await revocations.revoke_token("jti-1", int(now[0]) + 300)
    with pytest.raises(e.TokenRevoked):  # revocation still applies to a remembered token
        await validator.validate(token)


async def test_a_remembered_token_still_expires(
    ring: KeyRing, revocations: InMemoryRevocationList
) -> None:
    now, _, validator, token = _remembering(ring, revocations)  # exp = now + 300
    await validator.validate(token)
    now[0] += 301
    with pytest.raises(e.TokenExpired):
        await validator.validate(token)


async def test_a_withdrawn_key_stops_remembered_tokens_after_the_ttl(
    ring: KeyRing, revocations: InMemoryRevocationList
) -> None:
    now, keys, validator, token = _remembering(ring, revocations)
    await validator.validate(token)
    keys.kids = ["rsa-2"]  # the issuer withdrew rsa-1
    now[0] += 61
    with pytest.raises(e.UnknownSigningKey):
        await validator.validate(token)

"""JWT access-token validation: asymmetric algorithms only, issuer keys, claims, revocation."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError

from bff.auth.claims import ClaimMapping
from bff.auth.errors import (
    InvalidAudience,
    InvalidClaims,
    InvalidIssuer,
    InvalidSignature,
    KeyAlgorithmMismatch,
    MalformedToken,
    TokenExpired,
    TokenNotYetValid,
    TokenRevoked,
    UnknownSigningKey,
    UnsupportedAlgorithm,
)
from bff.auth.jwks import KeySource, SigningKey
from bff.auth.principal import Principal
from bff.auth.revocation import RevocationList, TokenFacts

# Asymmetric only: accepting HS* would let anyone holding the public key forge tokens.
KEY_TYPE_BY_ALG_PREFIX = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
DEFAULT_ALGORITHMS = ("RS256", "PS256", "ES256")
MAX_TOKEN_BYTES = 16 * 1024
# Verified tokens remembered (LRU) so a client's every request does not re-verify the same
# signature: expiry, not-before, issuer, audience and revocation are still checked each time.
# An entry lives at most VERIFIED_TTL_S, so a key withdrawn from the issuer's JWKS stops
# being trusted for tokens already seen within that time too.
VERIFIED_CACHE_SIZE = 4096
VERIFIED_TTL_S = 60.0


class TokenValidator:
    """Turns a bearer token into a Principal or raises a typed AuthenticationError."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: KeySource,
        revocations: RevocationList,
        mapping: ClaimMapping | None = None,
        algorithms: Collection[str] = DEFAULT_ALGORITHMS,
        leeway_s: int = 30,
        clock: Callable[[], float] = time.time,
        verified_cache_size: int = VERIFIED_CACHE_SIZE,
        verified_ttl_s: float = VERIFIED_TTL_S,
    ) -> None:
        unsafe = [a for a in algorithms if a[:2] not in KEY_TYPE_BY_ALG_PREFIX]
        if unsafe:
            raise ValueError(f"only asymmetric algorithms may be allowed, not {unsafe}")
        self.issuer = issuer
        self.audience = audience
        self._keys = keys
        self._revocations = revocations
        self._mapping = mapping or ClaimMapping()
        self._algorithms = frozenset(algorithms)
        self._leeway_s = leeway_s
        self._clock = clock
        # token -> (verified at, principal, claims); the token string itself is the key, so a
        # token differing in any byte is verified from scratch.
        self._verified: OrderedDict[str, tuple[float, Principal, Mapping[str, Any]]] = OrderedDict()
        self._verified_size, self._verified_ttl_s = verified_cache_size, verified_ttl_s

    async def validate(self, token: str) -> Principal:
        seen = self._verified.get(token)
        if seen is not None and self._clock() - seen[0] < self._verified_ttl_s:
            _, principal, claims = seen
            self._verified.move_to_end(token)
            self._check_claims(claims)  # it may have expired since
            await self._check_revocation(principal, claims)
            return principal
        principal, claims = await self._verify(token)
        self._remember(token, principal, claims)
        return principal

    def _remember(self, token: str, principal: Principal, claims: Mapping[str, Any]) -> None:
        if self._verified_size <= 0:
            return
        self._verified[token] = (self._clock(), principal, claims)
        self._verified.move_to_end(token)
        while len(self._verified) > self._verified_size:
            self._verified.popitem(last=False)

    async def _verify(self, token: str) -> tuple[Principal, Mapping[str, Any]]:
        """Header, key, signature, claims and revocation: the whole check."""
        header = _header(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise UnsupportedAlgorithm(f"algorithm {alg!r} is not accepted")
        if "crit" in header:
            raise MalformedToken("critical header extensions are not supported")
        key = await self._key_for(header, alg)
        claims = _verified_claims(token, key, alg)
        self._check_claims(claims)
        principal = self._mapping.principal(claims, self.issuer)
        await self._check_revocation(principal, claims)
        return principal, claims

    async def _key_for(self, header: Mapping[str, Any], alg: str) -> SigningKey:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise UnknownSigningKey("token has no kid")
        key = await self._keys.get(kid)
        if key is None:
            raise UnknownSigningKey(f"no signing key {kid!r} at the issuer")
        if key.key_type != KEY_TYPE_BY_ALG_PREFIX[alg[:2]] or key.get("alg") not in (None, alg):
            raise KeyAlgorithmMismatch(f"key {kid!r} cannot verify {alg}")
        if key.get("use") not in (None, "sig"):
            raise KeyAlgorithmMismatch(f"key {kid!r} is not a signing key")
        return key

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        if claims.get("iss") != self.issuer:
            raise InvalidIssuer(f"issuer {claims.get('iss')!r} is not trusted")
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if self.audience not in audiences:
            raise InvalidAudience(f"token is not for audience {self.audience!r}")
        now = self._clock()
        exp, nbf, iat = _num(claims, "exp", True), _num(claims, "nbf"), _num(claims, "iat")
        if exp is not None and now > exp + self._leeway_s:
            raise TokenExpired("token expired")
        if nbf is not None and now < nbf - self._leeway_s:
            raise TokenNotYetValid("token not valid yet")
        if iat is not None and now < iat - self._leeway_s:
            raise TokenNotYetValid("token issued in the future")

    async def _check_revocation(self, principal: Principal, claims: Mapping[str, Any]) -> None:
        facts = TokenFacts(
            tenant_id=principal.tenant_id,
            sub=principal.sub,
            issued_at=int(claims.get("iat") or 0),
            expires_at=principal.expires_at,
            jti=principal.token_id,
            sid=principal.session_id,
        )
        if await self._revocations.is_revoked(facts):
            raise TokenRevoked("token has been revoked")


def _header(token: str) -> dict[str, Any]:
    if len(token) > MAX_TOKEN_BYTES:
        raise MalformedToken("token too large")
    parts = token.split(".")
    if len(parts) != 3:  # JWS compact only; JWE (5 parts) and garbage are refused
        raise MalformedToken("not a compact JWS")
    try:
        padded = parts[0] + "=" * (-len(parts[0]) % 4)
        header = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error) as exc:
        raise MalformedToken("unreadable header") from exc
    if not isinstance(header, dict):
        raise MalformedToken("header is not an object")
    return header


def _verified_claims(token: str, key: SigningKey, alg: str) -> dict[str, Any]:
    try:
        decoded = jwt.decode(token, key, algorithms=[alg])
    except BadSignatureError as exc:
        raise InvalidSignature("signature does not verify") from exc
    except (JoseError, ValueError) as exc:
        raise MalformedToken(f"token rejected: {type(exc).__name__}") from exc
    claims = decoded.claims
    if not isinstance(claims, dict):
        raise MalformedToken("claims are not an object")
    return claims


def _num(claims: Mapping[str, Any], name: str, required: bool = False) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise InvalidClaims(f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidClaims(f"{name} must be a number")
    return float(value)

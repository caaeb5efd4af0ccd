"""Revocation list shared by the identity service and the BFF: in-process (embedded) or Redis."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

# Long enough that every token issued before a subject revocation has expired by then.
DEFAULT_SUBJECT_TTL_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class TokenFacts:
    """What the revocation check needs from a validated token."""

    tenant_id: str
    sub: str
    issued_at: int
    expires_at: int
    jti: str | None = None
    sid: str | None = None


class RevocationList(Protocol):
    async def revoke_token(self, jti: str, expires_at: int) -> None: ...

    async def revoke_session(self, sid: str, expires_at: int) -> None: ...

    async def revoke_subject(self, tenant_id: str, sub: str) -> None:
        """Every token of this user issued up to now stops working (disable, password reset)."""
        ...

    async def is_revoked(self, token: TokenFacts) -> bool: ...


def _subject_revoked(revoked_at: float | None, issued_at: int) -> bool:
    # `iat` has one-second resolution: a token from the revocation's second counts as revoked.
    return revoked_at is not None and issued_at <= math.floor(revoked_at)


class InMemoryRevocationList:
    """One process only: the embedded profile, where identity and BFF share the process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._tokens: dict[str, int] = {}
        self._sessions: dict[str, int] = {}
        self._subjects: dict[tuple[str, str], float] = {}

    async def revoke_token(self, jti: str, expires_at: int) -> None:
        self._tokens[jti] = expires_at

    async def revoke_session(self, sid: str, expires_at: int) -> None:
        self._sessions[sid] = expires_at

    async def revoke_subject(self, tenant_id: str, sub: str) -> None:
        self._subjects[(tenant_id, sub)] = self._clock()

    async def is_revoked(self, token: TokenFacts) -> bool:
        if token.jti is not None and token.jti in self._tokens:
            return True
        if token.sid is not None and token.sid in self._sessions:
            return True
        return _subject_revoked(self._subjects.get((token.tenant_id, token.sub)), token.issued_at)


class RedisRevocationList:
    """Shared across processes; entries expire with the tokens they revoke. One MGET per check."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "orion:auth:revoked",
        subject_ttl_s: int = DEFAULT_SUBJECT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._subject_ttl_s = subject_ttl_s
        self._clock = clock

    def _key(self, kind: str, *parts: str) -> str:
        return ":".join((self._prefix, kind, *parts))

    async def revoke_token(self, jti: str, expires_at: int) -> None:
        await self._set_until(self._key("jti", jti), expires_at)

    async def revoke_session(self, sid: str, expires_at: int) -> None:
        await self._set_until(self._key("sid", sid), expires_at)

    async def revoke_subject(self, tenant_id: str, sub: str) -> None:
        key = self._key("sub", tenant_id, sub)
        await self._redis.set(key, repr(self._clock()), ex=self._subject_ttl_s)

    async def _set_until(self, key: str, expires_at: int) -> None:
        ttl = max(1, int(expires_at - self._clock()) + 1)
        await self._redis.set(key, "1", ex=ttl)

    async def is_revoked(self, token: TokenFacts) -> bool:
        keys = [
            self._key("jti", token.jti or "-"),
            self._key("sid", token.sid or "-"),
            self._key("sub", token.tenant_id, token.sub),
        ]
        jti_hit, sid_hit, sub_at = await self._redis.mget(keys)
        if (token.jti and jti_hit is not None) or (token.sid and sid_hit is not None):
            return True
        return _subject_revoked(float(sub_at) if sub_at is not None else None, token.issued_at)

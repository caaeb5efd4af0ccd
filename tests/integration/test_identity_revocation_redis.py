"""Revocation shared through the real Redis: what one process revokes, another refuses at once."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bff.auth import RedisRevocationList, StaticKeySource, TokenValidator
from bff.auth.errors import TokenRevoked
from bff.auth.revocation import TokenFacts
from tests.unit.identity.tokens import AUDIENCE, ISSUER, KeyRing, default_claims

pytestmark = pytest.mark.integration


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


def lists(redis: Redis) -> tuple[RedisRevocationList, RedisRevocationList]:
    """Two independent lists on one Redis: the identity service's and the BFF's."""
    prefix = f"test:revoked:{uuid.uuid4().hex}"
    return RedisRevocationList(redis, prefix=prefix), RedisRevocationList(redis, prefix=prefix)


async def test_disabled_user_is_refused_by_another_process(redis: Redis) -> None:
    identity, bff = lists(redis)
    ring = KeyRing()
    validator = TokenValidator(
        issuer=ISSUER, audience=AUDIENCE, keys=StaticKeySource(ring.jwks()), revocations=bff
    )
    token = ring.mint(default_claims(now=int(time.time()) - 5))
    await validator.validate(token)
    await identity.revoke_subject("tenant-a", "user-1")
    with pytest.raises(TokenRevoked):
        await validator.validate(token)


async def test_revoked_jti_and_session_expire_with_the_token(redis: Redis) -> None:
    identity, bff = lists(redis)
    now = int(time.time())
    await identity.revoke_token("jti-9", now + 30)
    await identity.revoke_session("sid-9", now + 30)
    facts = TokenFacts("tenant-a", "user-9", issued_at=now, expires_at=now + 30, jti="jti-9")
    assert await bff.is_revoked(facts)
    assert await bff.is_revoked(TokenFacts("tenant-a", "user-9", now, now + 30, sid="sid-9"))
    assert not await bff.is_revoked(TokenFacts("tenant-a", "user-9", now, now + 30, jti="other"))
    ttls = [await redis.ttl(k) async for k in redis.scan_iter(match=f"{bff._prefix}:*")]
    assert ttls
    assert all(0 < ttl <= 31 for ttl in ttls)


async def test_other_tenant_same_subject_is_unaffected(redis: Redis) -> None:
    identity, bff = lists(redis)
    await identity.revoke_subject("tenant-b", "user-1")
    now = int(time.time()) - 5
    assert not await bff.is_revoked(TokenFacts("tenant-a", "user-1", now, now + 300))
    assert await bff.is_revoked(TokenFacts("tenant-b", "user-1", now, now + 300))

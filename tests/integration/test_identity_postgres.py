"""The identity service on the real profile: Postgres storage, Redis revocation list."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlmodel import select

from bff.auth import Principal, RedisRevocationList, Role
from bff.auth.errors import TokenRevoked
from eventbus.outbox import OutboxEvent
from orion.common.v1.envelope_pb2 import Envelope
from tests.unit.identity.idp import Idp, running_idp

pytestmark = pytest.mark.integration

ADMIN = Principal(sub="u-acme-admin", tenant_id="acme", roles=frozenset({Role.ADMIN}))


@pytest.fixture
async def idp(tmp_path: Path, database_url: str, redis_url: str) -> AsyncIterator[Idp]:
    redis = Redis.from_url(redis_url)
    revocations = RedisRevocationList(redis, prefix=f"test:idp:{uuid.uuid4().hex}")
    try:
        async with running_idp(
            tmp_path, database_url=database_url, revocations=revocations
        ) as running:
            yield running
    finally:
        await redis.aclose()


async def new_trader(idp: Idp) -> tuple[str, str, str]:
    """A fresh user per run, so nothing a test does sticks to the shared seed users."""
    username = f"trader-{uuid.uuid4().hex[:8]}@acme"
    user = await idp.admin.create_user(ADMIN, username, "it-password-1", ["ROLE_TRADER"])
    return user.user_id, username, "it-password-1"


async def test_pkce_flow_and_refresh_rotation_on_postgres(idp: Idp) -> None:
    _, username, password = await new_trader(idp)
    tokens = await idp.code_flow(username, password)
    assert tokens["_status"] == 200, tokens
    principal = await idp.bff_validator().validate(tokens["access_token"])
    assert (principal.tenant_id, principal.username) == ("acme", username)
    rotated = await idp.refresh(tokens["refresh_token"])
    assert rotated["_status"] == 200
    assert (await idp.refresh(tokens["refresh_token"]))["_status"] == 400  # reuse
    assert (await idp.refresh(rotated["refresh_token"]))["_status"] == 400  # family revoked


async def test_disable_on_postgres_revokes_through_redis(idp: Idp) -> None:
    user_id, username, password = await new_trader(idp)
    tokens = await idp.code_flow(username, password)
    validator = idp.bff_validator()
    await validator.validate(tokens["access_token"])
    await idp.admin.set_enabled(ADMIN, user_id, False, expected_version=1)
    with pytest.raises(TokenRevoked):
        await validator.validate(tokens["access_token"])


async def test_login_events_reach_the_postgres_outbox(idp: Idp) -> None:
    user_id, username, password = await new_trader(idp)
    await idp.code_flow(username, password)
    # A tenant session: where the outbox is under row-level security (a database migrated for
    # the service roles, ADR 0012) the owner must name the tenant too.
    async with idp.svc.db.tenant_session("acme") as s:
        rows = (await s.exec(select(OutboxEvent).where(OutboxEvent.tenant_id == "acme"))).all()
    mine = [Envelope.FromString(r.value) for r in rows]
    types = {e.event_type for e in mine if e.entity.id == user_id}
    assert {"UserChanged", "UserLoggedIn"} <= types

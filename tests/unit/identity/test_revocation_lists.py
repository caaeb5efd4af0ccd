"""Revocation lists: the database-backed one is shared by two processes on one SQLite file."""

from __future__ import annotations

import time
from pathlib import Path

from bff.auth import DatabaseRevocationList, InMemoryRevocationList
from bff.auth.revocation import TokenFacts
from core.db import Database


def facts(**overrides: object) -> TokenFacts:
    now = int(time.time()) - 5
    base: dict[str, object] = {"tenant_id": "acme", "sub": "u1", "issued_at": now}
    base |= {"expires_at": now + 300, **overrides}
    return TokenFacts(**base)  # type: ignore[arg-type]


async def test_database_list_is_shared_between_two_instances(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'orion.db'}"
    identity_db, bff_db = Database.from_url(url), Database.from_url(url)
    identity, bff = DatabaseRevocationList(identity_db), DatabaseRevocationList(bff_db)
    try:
        assert not await bff.is_revoked(facts(jti="j1", sid="s1"))
        await identity.revoke_token("j1", int(time.time()) + 60)
        await identity.revoke_session("s2", int(time.time()) + 60)
        await identity.revoke_subject("globex", "u1")
        assert await bff.is_revoked(facts(jti="j1"))
        assert await bff.is_revoked(facts(sid="s2"))
        assert not await bff.is_revoked(facts(jti="j2", sid="s3"))
        assert await bff.is_revoked(facts(tenant_id="globex"))
        assert not await bff.is_revoked(facts(tenant_id="globex", issued_at=int(time.time()) + 2))
    finally:
        await identity_db.dispose()
        await bff_db.dispose()


async def test_expired_entries_are_purged_on_write(tmp_path: Path) -> None:
    db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'orion.db'}")
    now = [1_000.0]
    revocations = DatabaseRevocationList(db, clock=lambda: now[0])
    try:
        await revocations.revoke_token("old", 1_010)
        now[0] = 2_000.0
        await revocations.revoke_token("new", 2_010)
        assert not await revocations.is_revoked(facts(jti="old"))
        assert await revocations.is_revoked(facts(jti="new"))
    finally:
        await db.dispose()


async def test_in_memory_subject_revocation_uses_the_clock() -> None:
    revocations = InMemoryRevocationList(clock=lambda: 1_000.7)
    await revocations.revoke_subject("acme", "u1")
    assert await revocations.is_revoked(facts(issued_at=1_000))
    assert not await revocations.is_revoked(facts(issued_at=1_001))

"""Revocation list in the platform database: shared across processes in the embedded profile."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from sqlalchemy import Column, Float, String, delete
from sqlmodel import Field, SQLModel, col, select

from bff.auth.revocation import TokenFacts
from core.db import Database


class RevocationRow(SQLModel, table=True):
    __tablename__ = "auth_revocations"

    key: str = Field(sa_column=Column(String(300), primary_key=True))
    revoked_at: float = Field(sa_column=Column(Float, nullable=False))
    expires_at: float = Field(sa_column=Column(Float, nullable=False))


class DatabaseRevocationList:
    """One SELECT per check; expired entries are purged when new ones are written."""

    def __init__(
        self,
        db: Database,
        *,
        subject_ttl_s: int = 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._subject_ttl_s = subject_ttl_s
        self._clock = clock
        self._ready = False
        self._lock = asyncio.Lock()

    async def _ensure_table(self) -> None:
        if self._ready:
            return
        async with self._lock:
            if not self._ready:
                async with self._db.engine.begin() as conn:
                    table = SQLModel.metadata.tables[RevocationRow.__tablename__]
                    await conn.run_sync(lambda c: table.create(c, checkfirst=True))
                self._ready = True

    async def _put(self, key: str, expires_at: float) -> None:
        await self._ensure_table()
        now = self._clock()
        async with self._db.sessions() as s:
            await s.exec(delete(RevocationRow).where(col(RevocationRow.expires_at) < now))
            await s.merge(RevocationRow(key=key, revoked_at=now, expires_at=expires_at))
            await s.commit()

    async def revoke_token(self, jti: str, expires_at: int) -> None:
        await self._put(f"jti:{jti}", float(expires_at))

    async def revoke_session(self, sid: str, expires_at: int) -> None:
        await self._put(f"sid:{sid}", float(expires_at))

    async def revoke_subject(self, tenant_id: str, sub: str) -> None:
        await self._put(f"sub:{tenant_id}:{sub}", self._clock() + self._subject_ttl_s)

    async def is_revoked(self, token: TokenFacts) -> bool:
        await self._ensure_table()
        keys = [f"sub:{token.tenant_id}:{token.sub}"]
        keys += [f"jti:{token.jti}"] if token.jti else []
        keys += [f"sid:{token.sid}"] if token.sid else []
        async with self._db.sessions() as s:
            rows = (
                await s.exec(select(RevocationRow).where(col(RevocationRow.key).in_(keys)))
            ).all()
        for row in rows:
            if not row.key.startswith("sub:"):
                return True
            # iat has one-second resolution: a token from the revocation's second counts as revoked.
            if token.issued_at <= math.floor(row.revoked_at):
                return True
        return False

"""Identity repository: async reads/writes of clients, codes, refresh tokens and sessions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from core.db import Database, utc_now
from eventbus.outbox import UnitOfWork
from orion.identity.v1 import events_pb2 as pb
from services.identity.events import emit
from services.identity.locate import Kind, tenant_of
from services.identity.models import AuthCodeRow, ClientRow, RefreshTokenRow, SessionRow, UserRow
from services.identity.passwords import Passwords
from services.identity.views import ClientView, CodeView, RefreshView, UserGrant

Clock = Callable[[], datetime]


def digest(secret: str) -> str:
    """Codes and refresh tokens are stored hashed: a database leak yields nothing usable."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_id() -> str:
    return secrets.token_urlsafe(24)


def bump_seq(user: UserRow) -> int:
    user.event_seq += 1
    return user.event_seq


class IdentityRepo:
    def __init__(self, db: Database, passwords: Passwords, clock: Clock = utc_now) -> None:
        self.db = db
        self.passwords = passwords
        self.clock = clock

    async def client_view(self, client_id: str) -> ClientView | None:
        async with self.db.sessions() as s:
            row = await s.get(ClientRow, client_id)
        if row is None or not row.enabled:
            return None
        return ClientView(
            client_id=row.client_id,
            secret_hash=row.secret_hash,
            redirect_uris=tuple(row.redirect_uris),
            grant_types=tuple(row.grant_types),
            scope=row.scope,
            tenant_id=row.tenant_id,
            roles=tuple(row.roles),
            entitlements=dict(row.entitlements),
            passwords=self.passwords,
        )

    async def tenant_of(self, kind: Kind, key: str) -> str | None:
        """The tenant a key belongs to (before any tenant is known); see locate.py."""
        return await tenant_of(self.db, kind, key)

    async def user_grant(self, user_id: str, session_id: str, tenant_id: str) -> UserGrant | None:
        """The user if still enabled and the session still live; else None (no token issued).
        `tenant_id` comes from the row that named the user (session, code, refresh token)."""
        async with self.db.tenant_session(tenant_id) as s:
            user = await s.get(UserRow, user_id)
            session = await s.get(SessionRow, session_id)
        if user is None or not user.enabled or not self._live(session):
            return None
        return UserGrant(
            user_id=user.user_id,
            tenant_id=user.tenant_id,
            username=user.username,
            roles=tuple(user.roles),
            entitlements=dict(user.entitlements),
            session_id=session_id,
            auth_time=int(session.created_at.timestamp()) if session is not None else 0,
        )

    def _live(self, session: SessionRow | None) -> bool:
        return (
            session is not None and session.revoked_at is None and session.expires_at > self.clock()
        )

    async def save_code(self, code: str, view: CodeView, ttl_s: int) -> None:
        async with self.db.tenant_session(view.tenant_id) as s:
            s.add(
                AuthCodeRow(
                    code_hash=digest(code),
                    expires_at=self.clock() + timedelta(seconds=ttl_s),
                    **{k: getattr(view, k) for k in _CODE_FIELDS},
                )
            )
            await s.commit()

    async def claim_code(self, code: str, client_id: str) -> CodeView | None:
        """Marks the code used in the same statement that checks it: a code works exactly once."""
        tenant = await self.tenant_of("code", digest(code))
        if tenant is None:
            return None
        async with self.db.tenant_session(tenant) as s:
            claim = (
                update(AuthCodeRow)
                .where(col(AuthCodeRow.code_hash) == digest(code))
                .where(col(AuthCodeRow.client_id) == client_id)
                .where(col(AuthCodeRow.used).is_(False))
                .where(col(AuthCodeRow.expires_at) > self.clock())
                .values(used=True)
            )
            result = await s.exec(claim)
            row = await s.get(AuthCodeRow, digest(code))
            await s.commit()
        if result.rowcount != 1 or row is None:
            return None
        return CodeView(**{k: getattr(row, k) for k in _CODE_FIELDS})

    async def live_session(self, session_id: str | None) -> SessionRow | None:
        tenant = await self.tenant_of("session", session_id or "")
        if tenant is None:
            return None
        async with self.db.tenant_session(tenant) as s:
            row = await s.get(SessionRow, session_id)
        return row if self._live(row) else None

    async def save_refresh(
        self, token: str, grant: UserGrant, client_id: str, scope: str, family_id: str, ttl_s: int
    ) -> None:
        now = self.clock()
        async with self.db.tenant_session(grant.tenant_id) as s:
            s.add(
                RefreshTokenRow(
                    token_hash=digest(token),
                    family_id=family_id,
                    client_id=client_id,
                    user_id=grant.user_id,
                    tenant_id=grant.tenant_id,
                    session_id=grant.session_id,
                    scope=scope,
                    issued_at=now,
                    expires_at=now + timedelta(seconds=ttl_s),
                )
            )
            await s.commit()

    async def use_refresh(self, token: str) -> RefreshView | None:
        """Rotate: the token is spent by this call. A spent or revoked token presented again is
        reuse (stolen or replayed): the whole family is revoked and the event recorded."""
        now, token_hash = self.clock(), digest(token)
        tenant = await self.tenant_of("refresh", token_hash)
        if tenant is None:
            return None
        async with UnitOfWork(self.db, tenant_id=tenant) as uow:
            spend = (
                update(RefreshTokenRow)
                .where(col(RefreshTokenRow.token_hash) == token_hash)
                .where(col(RefreshTokenRow.rotated_at).is_(None))
                .where(col(RefreshTokenRow.revoked_at).is_(None))
                .where(col(RefreshTokenRow.expires_at) > now)
                .values(rotated_at=now)
            )
            result = await uow.session.exec(spend)
            row = await uow.session.get(RefreshTokenRow, token_hash)
            if row is None:
                return None
            if result.rowcount != 1:
                if row.expires_at > now:
                    await self._reuse_detected(uow, row)
                    await uow.commit()
                return None
            await uow.commit()
        fields = {k: getattr(row, k) for k in _REFRESH_FIELDS}
        return RefreshView(**fields, expires_at=row.expires_at, now=now)

    async def _reuse_detected(self, uow: UnitOfWork, row: RefreshTokenRow) -> None:
        await uow.session.exec(
            update(RefreshTokenRow)
            .where(col(RefreshTokenRow.family_id) == row.family_id)
            .where(col(RefreshTokenRow.revoked_at).is_(None))
            .values(revoked_at=self.clock())
        )
        user = await uow.session.get(UserRow, row.user_id)
        seq = bump_seq(user) if user is not None else 0
        payload = pb.RefreshTokenReuseDetected(
            tenant_id=row.tenant_id,
            user_id=row.user_id,
            client_id=row.client_id,
            family_id=row.family_id,
        )
        emit(uow, payload, entity_id=row.user_id, sequence=seq)

    async def find_refresh(self, token: str) -> RefreshTokenRow | None:
        tenant = await self.tenant_of("refresh", digest(token))
        if tenant is None:
            return None
        async with self.db.tenant_session(tenant) as s:
            return await s.get(RefreshTokenRow, digest(token))

    async def revoke_refresh_family(self, token: str, client_id: str) -> RefreshTokenRow | None:
        """RFC 7009 revocation of a refresh token: its family stops working at once."""
        tenant = await self.tenant_of("refresh", digest(token))
        if tenant is None:
            return None
        async with self.db.tenant_session(tenant) as s:
            row = await s.get(RefreshTokenRow, digest(token))
            if row is None or row.client_id != client_id:
                return None
            await s.exec(
                update(RefreshTokenRow)
                .where(col(RefreshTokenRow.family_id) == row.family_id)
                .where(col(RefreshTokenRow.revoked_at).is_(None))
                .values(revoked_at=self.clock())
            )
            await s.commit()
        return row

    async def revoke_sessions(self, uow: UnitOfWork, user_id: str, sid: str | None = None) -> None:
        """End a user's sessions (all, or one) and every refresh token bound to them."""
        now = self.clock()
        sessions = update(SessionRow).where(col(SessionRow.user_id) == user_id)
        tokens = update(RefreshTokenRow).where(col(RefreshTokenRow.user_id) == user_id)
        if sid is not None:
            sessions = sessions.where(col(SessionRow.session_id) == sid)
            tokens = tokens.where(col(RefreshTokenRow.session_id) == sid)
        await uow.session.exec(
            sessions.where(col(SessionRow.revoked_at).is_(None)).values(revoked_at=now)
        )
        await uow.session.exec(
            tokens.where(col(RefreshTokenRow.revoked_at).is_(None)).values(revoked_at=now)
        )

    async def users_of(self, tenant_id: str) -> list[UserRow]:
        """Every user of one tenant; the tenant is a required argument, never optional."""
        if not tenant_id:
            raise ValueError("tenant_id is mandatory for user queries")
        async with self.db.tenant_session(tenant_id) as s:
            found = await s.exec(
                select(UserRow)
                .where(UserRow.tenant_id == tenant_id)
                .order_by(col(UserRow.username))
            )
            return list(found.all())

    async def user_by_username(self, uow: UnitOfWork, username: str) -> UserRow | None:
        """In the unit's tenant (a tenant-bound unit sees no other tenant's users)."""
        found = await uow.session.exec(select(UserRow).where(UserRow.username == username))
        return found.first()


_CODE_FIELDS = tuple(CodeView.__dataclass_fields__)
_REFRESH_FIELDS = (
    "token_hash",
    "family_id",
    "client_id",
    "user_id",
    "tenant_id",
    "session_id",
    "scope",
)

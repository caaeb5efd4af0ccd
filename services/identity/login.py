"""Password login with lockout; every success, failure and logout is an audited event."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta

from bff.auth.revocation import RevocationList
from core.db import as_utc
from eventbus.outbox import UnitOfWork
from orion.identity.v1 import events_pb2 as pb
from services.identity.config import IdentitySettings
from services.identity.events import emit
from services.identity.models import SessionRow, UserRow
from services.identity.store import IdentityRepo, bump_seq, new_id


@dataclass(frozen=True)
class LoginOutcome:
    session_id: str | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.session_id is not None


class LoginService:
    def __init__(
        self, repo: IdentityRepo, settings: IdentitySettings, revocations: RevocationList
    ) -> None:
        self.repo = repo
        self.settings = settings
        self.revocations = revocations

    async def attempt(
        self, username: str, password: str, origin: pb.RequestOrigin, client_id: str = ""
    ) -> LoginOutcome:
        # The login form has no tenant: the name's tenant first (locate.py), then its session.
        tenant = await self.repo.tenant_of("username", username)
        async with UnitOfWork(self.repo.db, tenant_id=tenant) as uow:
            user = None if tenant is None else await self.repo.user_by_username(uow, username)
            if user is None:
                await self.repo.passwords.verify(None, password)  # same cost as a real check
                self._failed(uow, None, username, "unknown_user", origin)
                await uow.commit()
                return LoginOutcome(None, "unknown_user")
            reason = await self._check(user, password)
            if reason:
                self._failed(uow, user, username, reason, origin)
                uow.session.add(user)
                await uow.commit()
                return LoginOutcome(None, reason)
            sid = self._open_session(uow, user, origin, client_id)
            await uow.commit()
            return LoginOutcome(sid)

    async def _check(self, user: UserRow, password: str) -> str:
        now = self.repo.clock()
        refusal = ""
        if not user.enabled:
            refusal = "disabled"
        elif user.locked_until is not None and as_utc(user.locked_until) > now:
            refusal = "locked"  # the password is not checked: no guessing while locked
        if refusal:
            await self.repo.passwords.verify(None, password)  # same time as a real check
            return refusal
        if user.locked_until is not None:
            user.locked_until, user.failed_attempts = None, 0
        if await self.repo.passwords.verify(user.password_hash, password):
            return ""
        user.failed_attempts += 1
        if user.failed_attempts >= self.settings.lockout_threshold:
            user.locked_until = now + timedelta(seconds=self.settings.lockout_duration_s)
        return "bad_password"

    def _failed(
        self,
        uow: UnitOfWork,
        user: UserRow | None,
        username: str,
        reason: str,
        origin: pb.RequestOrigin,
    ) -> None:
        payload = pb.LoginFailed(
            tenant_id=user.tenant_id if user else "",
            user_id=user.user_id if user else "",
            username=username[:200],
            reason=reason,
            failed_attempts=user.failed_attempts if user else 0,
            locked=bool(user and user.locked_until is not None),
            origin=origin,
        )
        entity = user.user_id if user else f"username:{username[:200]}"
        emit(uow, payload, entity_id=entity, sequence=bump_seq(user) if user else 0)

    def _open_session(
        self, uow: UnitOfWork, user: UserRow, origin: pb.RequestOrigin, client_id: str
    ) -> str:
        now, sid = self.repo.clock(), new_id()
        user.failed_attempts, user.locked_until = 0, None
        expires = now + timedelta(seconds=self.settings.session_ttl_s)
        uow.session.add(
            SessionRow(
                session_id=sid,
                user_id=user.user_id,
                tenant_id=user.tenant_id,
                created_at=now,
                expires_at=expires,
            )
        )
        payload = pb.UserLoggedIn(
            tenant_id=user.tenant_id,
            user_id=user.user_id,
            username=user.username,
            session_id=sid,
            client_id=client_id,
            origin=origin,
        )
        emit(uow, payload, entity_id=user.user_id, sequence=bump_seq(user))
        uow.session.add(user)
        return sid

    async def logout(self, session_id: str) -> bool:
        """End the session: its refresh tokens and (via `sid`) its access tokens stop working."""
        session = await self.repo.live_session(session_id)
        if session is None:
            return False
        async with UnitOfWork(self.repo.db, tenant_id=session.tenant_id) as uow:
            await self.repo.revoke_sessions(uow, session.user_id, session_id)
            user = await uow.session.get(UserRow, session.user_id)
            seq = bump_seq(user) if user is not None else 0
            payload = pb.UserLoggedOut(
                tenant_id=session.tenant_id, user_id=session.user_id, session_id=session_id
            )
            emit(uow, payload, entity_id=session.user_id, sequence=seq)
            await uow.commit()
        await self.revocations.revoke_session(
            session_id, int(as_utc(session.expires_at).timestamp())
        )
        return True


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orion sign-in</title></head>
<body><main>
<h1>Orion</h1>
{error}
<form method="post" action="{action}">
<input type="hidden" name="return_to" value="{return_to}">
<input type="hidden" name="csrf" value="{csrf}">
<label>Username <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required>
</label>
<button type="submit">Sign in</button>
</form>
</main></body></html>
"""


def login_page(action: str, return_to: str, csrf: str, error: str = "") -> str:
    message = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return LOGIN_PAGE.format(
        action=html.escape(action),
        return_to=html.escape(return_to),
        csrf=html.escape(csrf),
        error=message,
    )

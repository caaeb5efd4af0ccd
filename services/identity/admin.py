"""Administration API (python; the admin subgraph calls it): tenants, users, roles, entitlements.

Every change checks the caller's permission and tenant, bumps the user's version (optimistic
concurrency) and emits an audited event in the same transaction. Disabling a user ends its
sessions and revokes its outstanding access tokens at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from bff.auth import Permission, Principal, Role, require
from bff.auth.claims import parse_entitlements
from bff.auth.errors import CrossTenantAccess, InvalidClaims, MissingPermission
from bff.auth.revocation import RevocationList
from eventbus.outbox import UnitOfWork
from orion.identity.v1 import events_pb2 as pb
from services.identity.events import emit
from services.identity.models import TenantRow, UserRow
from services.identity.store import IdentityRepo, bump_seq

Change = pb.UserChanged.Change


class AdminError(Exception):
    code = "admin_error"


class VersionConflict(AdminError):
    code = "version_conflict"


class InvalidInput(AdminError):
    code = "invalid_input"


class AlreadyExists(AdminError):
    code = "already_exists"


@dataclass(frozen=True)
class UserSnapshot:
    user_id: str
    tenant_id: str
    username: str
    roles: tuple[str, ...]
    entitlements: dict[str, Any]
    enabled: bool
    version: int


def snapshot(user: UserRow) -> UserSnapshot:
    return UserSnapshot(
        user_id=user.user_id,
        tenant_id=user.tenant_id,
        username=user.username,
        roles=tuple(user.roles),
        entitlements=dict(user.entitlements),
        enabled=user.enabled,
        version=user.version,
    )


def normalise_roles(roles: list[str]) -> list[str]:
    known = {r.value for r in Role}
    unknown = sorted(set(roles) - known)
    if unknown:
        raise InvalidInput(f"unknown roles: {', '.join(unknown)}")
    return sorted(set(roles))


def normalise_entitlements(raw: dict[str, Any]) -> dict[str, Any]:
    """Validated, canonical JSON form: sorted sets, max_notional as a decimal string."""
    try:
        ents = parse_entitlements(raw)
    except (InvalidClaims, ValueError, TypeError) as exc:
        raise InvalidInput(f"bad entitlements: {exc}") from exc
    return {
        "asset_classes": sorted(ents.asset_classes),
        "instruments": sorted(ents.instruments),
        "product_groups": sorted(ents.product_groups),
        "venues": sorted(ents.venues),
        "max_notional": format(ents.max_notional.normalize(), "f"),
        "rate_limits": dict(sorted(ents.rate_limits.items())),
    }


def entitlements_pb(ents: dict[str, Any]) -> pb.Entitlements:
    return pb.Entitlements(
        asset_classes=ents.get("asset_classes", []),
        instruments=ents.get("instruments", []),
        product_groups=ents.get("product_groups", []),
        venues=ents.get("venues", []),
        max_notional=str(ents.get("max_notional", "0")),
        rate_limits=ents.get("rate_limits", {}),
    )


class IdentityAdmin:
    def __init__(self, repo: IdentityRepo, revocations: RevocationList) -> None:
        self.repo = repo
        self.revocations = revocations

    async def create_tenant(self, actor: Principal, tenant_id: str, name: str) -> str:
        if not actor.has_role(Role.PLATFORM):
            raise MissingPermission("creating tenants needs ROLE_PLATFORM")
        async with UnitOfWork(self.repo.db) as uow:
            if await uow.session.get(TenantRow, tenant_id) is not None:
                raise AlreadyExists(f"tenant {tenant_id} exists")
            uow.session.add(TenantRow(tenant_id=tenant_id, name=name))
            payload = pb.TenantCreated(tenant_id=tenant_id, name=name, actor=actor.sub)
            emit(uow, payload, entity_id=tenant_id, sequence=1)
            await uow.commit()
        return tenant_id

    async def create_user(
        self,
        actor: Principal,
        username: str,
        password: str,
        roles: list[str],
        entitlements: dict[str, Any] | None = None,
    ) -> UserSnapshot:
        require(actor, Permission.MANAGE_USERS)
        if len(password) < 8:
            raise InvalidInput("password must have at least 8 characters")
        user = UserRow(
            user_id=f"u-{secrets.token_hex(8)}",
            tenant_id=actor.tenant_id,
            username=username,
            password_hash=await self.repo.passwords.hash(password),
            roles=normalise_roles(roles),
            entitlements=normalise_entitlements(entitlements or {}),
        )
        # Usernames are unique across tenants (the login form has no tenant): ask the locator,
        # which sees every tenant, not the unit, which sees only the actor's.
        if await self.repo.tenant_of("username", username) is not None:
            raise AlreadyExists(f"username {username} is taken")
        async with UnitOfWork(self.repo.db, tenant_id=actor.tenant_id) as uow:
            uow.session.add(user)
            self._emit(uow, actor, user, Change.CHANGE_CREATED)
            await uow.commit()
        return snapshot(user)

    async def list_users(self, actor: Principal) -> list[UserSnapshot]:
        require(actor, Permission.MANAGE_USERS)
        return [snapshot(u) for u in await self.repo.users_of(actor.tenant_id)]

    async def set_roles(
        self, actor: Principal, user_id: str, roles: list[str], expected_version: int
    ) -> UserSnapshot:
        require(actor, Permission.MANAGE_USERS)
        clean = normalise_roles(roles)
        return await self._change(
            actor, user_id, expected_version, Change.CHANGE_ROLES, roles=clean
        )

    async def set_entitlements(
        self, actor: Principal, user_id: str, entitlements: dict[str, Any], expected_version: int
    ) -> UserSnapshot:
        require(actor, Permission.MANAGE_ENTITLEMENTS)
        clean = normalise_entitlements(entitlements)
        change = Change.CHANGE_ENTITLEMENTS
        return await self._change(actor, user_id, expected_version, change, entitlements=clean)

    async def set_enabled(
        self, actor: Principal, user_id: str, enabled: bool, expected_version: int
    ) -> UserSnapshot:
        require(actor, Permission.MANAGE_USERS)
        change = Change.CHANGE_ENABLED if enabled else Change.CHANGE_DISABLED
        result = await self._change(actor, user_id, expected_version, change, enabled=enabled)
        if not enabled:
            # Access tokens are stateless: the shared revocation list stops them now, not at exp.
            await self.revocations.revoke_subject(result.tenant_id, result.user_id)
        return result

    async def _change(
        self,
        actor: Principal,
        user_id: str,
        expected_version: int,
        change: pb.UserChanged.Change.ValueType,
        **values: Any,
    ) -> UserSnapshot:
        # The actor's tenant session: another tenant's user is simply not there (RLS).
        async with UnitOfWork(self.repo.db, tenant_id=actor.tenant_id) as uow:
            user = await uow.session.get(UserRow, user_id)
            if user is None or user.tenant_id != actor.tenant_id:
                raise CrossTenantAccess("not found")  # the same answer for both: no existence leak
            if user.version != expected_version:
                raise VersionConflict(f"user is at version {user.version}, not {expected_version}")
            for name, value in values.items():
                setattr(user, name, value)
            user.version += 1
            if values.get("enabled") is False:
                await self.repo.revoke_sessions(uow, user.user_id)
            uow.session.add(user)
            self._emit(uow, actor, user, change)
            await uow.commit()
        return snapshot(user)

    def _emit(
        self,
        uow: UnitOfWork,
        actor: Principal,
        user: UserRow,
        change: pb.UserChanged.Change.ValueType,
    ) -> None:
        payload = pb.UserChanged(
            tenant_id=user.tenant_id,
            user_id=user.user_id,
            username=user.username,
            change=change,
            roles=user.roles,
            entitlements=entitlements_pb(user.entitlements),
            enabled=user.enabled,
            actor=actor.sub,
            version=user.version,
        )
        emit(uow, payload, entity_id=user.user_id, sequence=bump_seq(user))

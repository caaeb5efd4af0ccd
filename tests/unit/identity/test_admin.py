"""Administration: permission and tenant checks, optimistic versions, disable revokes at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bff.auth import CrossTenantAccess, MissingPermission, Principal, Role
from bff.auth.errors import TokenRevoked
from services.identity.admin import AlreadyExists, InvalidInput, VersionConflict

from .idp import pkce_pair, running_idp
from .test_identity_service import audit_trail


def admin_of(tenant: str, *roles: Role) -> Principal:
    return Principal(
        sub=f"u-{tenant}-admin", tenant_id=tenant, roles=frozenset(roles or {Role.ADMIN})
    )


async def test_disabling_a_user_revokes_live_tokens_and_blocks_login(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        tokens = await idp.code_flow("trader@acme", "trader-demo")
        validator = idp.bff_validator()
        await validator.validate(tokens["access_token"])
        await idp.admin.set_enabled(admin_of("acme"), "u-acme-trader", False, expected_version=1)
        with pytest.raises(TokenRevoked):
            await validator.validate(tokens["access_token"])
        assert (await idp.refresh(tokens["refresh_token"]))["_status"] == 400
        idp.client.cookies.clear()
        _, challenge = pkce_pair()
        assert (await idp.login("trader@acme", "trader-demo", challenge)).status_code == 401
        assert ("UserChanged", "acme") in await audit_trail(idp)


async def test_admin_cannot_touch_another_tenants_user(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        with pytest.raises(CrossTenantAccess):
            await idp.admin.set_roles(admin_of("globex"), "u-acme-trader", ["ROLE_ADMIN"], 1)
        with pytest.raises(CrossTenantAccess):
            await idp.admin.set_roles(admin_of("globex"), "u-does-not-exist", ["ROLE_ADMIN"], 1)


async def test_non_admin_cannot_administer(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        with pytest.raises(MissingPermission):
            await idp.admin.list_users(admin_of("acme", Role.TRADER))
        with pytest.raises(MissingPermission):
            await idp.admin.create_tenant(admin_of("acme"), "initech", "Initech")


async def test_stale_version_is_a_conflict(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        admin = admin_of("acme")
        updated = await idp.admin.set_roles(admin, "u-acme-sales", ["ROLE_SALES", "ROLE_TRADER"], 1)
        assert updated.version == 2
        with pytest.raises(VersionConflict):
            await idp.admin.set_roles(admin, "u-acme-sales", ["ROLE_SALES"], 1)


async def test_created_user_can_log_in_with_validated_entitlements(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        admin = admin_of("acme")
        user = await idp.admin.create_user(
            admin,
            "newbie@acme",
            "correct-horse",
            ["ROLE_TRADER"],
            {"venues": ["LP1"], "max_notional": "1000000.50"},
        )
        assert user.entitlements["max_notional"] == "1000000.5"
        tokens = await idp.code_flow("newbie@acme", "correct-horse")
        principal = await idp.bff_validator().validate(tokens["access_token"])
        assert principal.entitlements.venues == frozenset({"LP1"})
        listed = [u.username for u in await idp.admin.list_users(admin)]
        assert "newbie@acme" in listed
        assert all(name.endswith("@acme") for name in listed)
        with pytest.raises(AlreadyExists):
            await idp.admin.create_user(admin, "newbie@acme", "correct-horse", ["ROLE_TRADER"])
        with pytest.raises(InvalidInput):
            await idp.admin.create_user(admin, "x@acme", "correct-horse", ["ROLE_GOD"])
        with pytest.raises(InvalidInput):
            await idp.admin.set_entitlements(admin, user.user_id, {"max_notional": "-1"}, 1)


async def test_platform_creates_a_tenant_once_and_it_is_audited(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        platform = admin_of("acme", Role.PLATFORM)
        assert await idp.admin.create_tenant(platform, "initech", "Initech") == "initech"
        with pytest.raises(AlreadyExists):
            await idp.admin.create_tenant(platform, "initech", "Initech again")
        assert ("TenantCreated", "initech") in await audit_trail(idp)

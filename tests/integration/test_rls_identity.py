"""Identity's tenant tables under forced row-level security, with the identity service on its
own role and the pre-tenant lookups through the narrow locator function (ADR 0012)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

import services.identity.preferences  # noqa: F401  (identity_ui_preferences, for the fixture)
from bff.auth import CrossTenantAccess, Principal, Role
from orion.identity.v1 import events_pb2 as identity_pb
from services.identity.admin import AlreadyExists
from services.identity.db_roles import (
    BFF_ROLE,
    IDENTITY_ROLE,
    IDENTITY_TENANT_TABLES,
    RFQ_ROLE,
)
from services.identity.locate import LOCATE_FN
from tests.integration.test_rls_services import Roles, roles, sql
from tests.unit.identity.idp import Idp, running_idp

pytestmark = pytest.mark.integration
__all__ = ["roles"]  # the fixture, shared with the services' RLS tests

ACME_ADMIN = Principal(sub="u-acme-admin", tenant_id="acme", roles=frozenset({Role.ADMIN}))
GLOBEX_ADMIN = Principal(sub="u-globex-admin", tenant_id="globex", roles=frozenset({Role.ADMIN}))


@pytest.fixture
async def idp(roles: Roles, tmp_path: Path) -> AsyncIterator[Idp]:
    """The real identity service (OAuth endpoints, login, admin) on the identity role."""
    async with running_idp(tmp_path, db=roles[IDENTITY_ROLE]) as running:
        yield running


async def test_identity_tenant_tables_are_forced_and_the_role_sees_one_tenant(
    roles: Roles, idp: Idp
) -> None:
    tables = await sql(
        roles.owner,
        None,
        "SELECT relname, relforcerowsecurity FROM pg_class WHERE relname = ANY(:t)",
        t=list(IDENTITY_TENANT_TABLES),
    )
    assert {(t.relname, t.relforcerowsecurity) for t in tables} == {
        (t, True) for t in IDENTITY_TENANT_TABLES
    }
    rows = await sql(roles[IDENTITY_ROLE], "acme", "SELECT DISTINCT tenant_id FROM identity_users")
    assert [r.tenant_id for r in rows] == ["acme"]
    for who in (roles[IDENTITY_ROLE], roles.owner):  # FORCE: the owner is bound as well
        with pytest.raises(DBAPIError, match="outside a tenant transaction"):
            await sql(who, None, "SELECT count(*) FROM identity_users")
    with pytest.raises(DBAPIError, match="row-level security"):
        await sql(
            roles[IDENTITY_ROLE],
            "acme",
            "INSERT INTO identity_sessions (session_id, user_id, tenant_id, created_at, "
            "expires_at) VALUES ('planted', 'u', 'globex', now(), now()) RETURNING session_id",
        )


async def test_the_locator_answers_a_tenant_id_to_the_identity_role_only(
    roles: Roles, idp: Idp
) -> None:
    locate = f"SELECT {LOCATE_FN}(:kind, :key) AS tenant"
    [hit] = await sql(roles[IDENTITY_ROLE], None, locate, kind="username", key="trader@globex")
    assert hit.tenant == "globex"
    [miss] = await sql(roles[IDENTITY_ROLE], None, locate, kind="username", key="nobody@x")
    assert miss.tenant is None
    # Called inside a tenant transaction, it leaves that tenant (and nothing else) in place.
    after = await sql(
        roles[IDENTITY_ROLE],
        "acme",
        f"SELECT {LOCATE_FN}('username', 'trader@globex') AS located, "
        "current_setting('app.tenant_id') AS tenant, "
        "current_setting('app.identity_locate', true) AS locating",
    )
    assert (after[0].located, after[0].tenant, after[0].locating) == ("globex", "acme", "")
    for other in (RFQ_ROLE, BFF_ROLE):
        with pytest.raises(DBAPIError, match="permission denied for function"):
            await sql(roles[other], None, locate, kind="username", key="trader@acme")


async def test_login_code_flow_refresh_and_logout_work_on_the_identity_role(idp: Idp) -> None:
    user = await idp.admin.create_user(
        ACME_ADMIN, "rls-trader@acme", "rls-password", ["ROLE_TRADER"]
    )
    tokens = await idp.code_flow("rls-trader@acme", "rls-password")
    assert tokens["_status"] == 200, tokens
    principal = await idp.bff_validator().validate(tokens["access_token"])
    assert (principal.tenant_id, principal.sub) == ("acme", user.user_id)
    rotated = await idp.refresh(tokens["refresh_token"])
    assert rotated["_status"] == 200, rotated
    assert (await idp.refresh(tokens["refresh_token"]))["_status"] == 400  # reuse: family revoked
    assert (await idp.refresh(rotated["refresh_token"]))["_status"] == 400
    origin = identity_pb.RequestOrigin()
    bad = await idp.svc.login.attempt("rls-trader@acme", "wrong-password", origin)
    assert bad.reason == "bad_password"
    unknown = await idp.svc.login.attempt("nobody@acme", "whatever-pw", origin)
    assert unknown.reason == "unknown_user"
    good = await idp.svc.login.attempt("rls-trader@acme", "rls-password", origin)
    assert good.session_id
    assert await idp.svc.login.logout(good.session_id)
    assert await idp.svc.repo.live_session(good.session_id) is None


async def test_admin_cannot_reach_another_tenants_user_and_usernames_stay_unique(
    idp: Idp,
) -> None:
    user = await idp.admin.create_user(ACME_ADMIN, "rls-only@acme", "rls-password", ["ROLE_SALES"])
    with pytest.raises(CrossTenantAccess):
        await idp.admin.set_enabled(GLOBEX_ADMIN, user.user_id, False, expected_version=1)
    assert user.user_id not in {u.user_id for u in await idp.admin.list_users(GLOBEX_ADMIN)}
    with pytest.raises(AlreadyExists):  # taken in acme, so refused in globex too
        await idp.admin.create_user(GLOBEX_ADMIN, "rls-only@acme", "rls-password", [])

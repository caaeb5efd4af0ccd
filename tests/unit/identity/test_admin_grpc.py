"""IdentityAdminService over a real gRPC channel (port 0): token in metadata, typed status codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc import aio

from orion.identity.v1 import events_pb2 as events
from orion.identity.v1 import identity_admin_pb2 as pb
from orion.identity.v1 import identity_admin_pb2_grpc as pb_grpc
from services.identity.grpc_api import start_admin_server

from .idp import Idp, running_idp


@dataclass
class Admin:
    idp: Idp
    stub: pb_grpc.IdentityAdminServiceAsyncStub

    async def token(self, username: str, password: str) -> tuple[tuple[str, str], ...]:
        self.idp.client.cookies.clear()
        access = (await self.idp.code_flow(username, password))["access_token"]
        return (("authorization", f"Bearer {access}"),)


@pytest.fixture
async def admin(tmp_path: Path) -> AsyncIterator[Admin]:
    async with running_idp(tmp_path) as idp:
        server, port = await start_admin_server(idp.admin, idp.bff_validator())
        channel = aio.insecure_channel(f"127.0.0.1:{port}")
        try:
            yield Admin(idp, pb_grpc.IdentityAdminServiceStub(channel))
        finally:
            await channel.close()
            await server.stop(0.5)


async def test_admin_creates_and_disables_a_user_of_its_tenant(admin: Admin) -> None:
    md = await admin.token("admin@globex", "admin-demo")
    created = await admin.stub.CreateUser(
        pb.CreateUserRequest(
            username="ops@globex",
            password="long-enough-1",
            roles=["ROLE_TRADER"],
            entitlements=events.Entitlements(venues=["LP1"], max_notional="750000"),
        ),
        metadata=md,
    )
    assert (created.user.tenant_id, created.user.entitlements.max_notional) == ("globex", "750000")
    disabled = await admin.stub.SetUserEnabled(
        pb.SetUserEnabledRequest(user_id=created.user.user_id, enabled=False, expected_version=1),
        metadata=md,
    )
    assert (disabled.user.enabled, disabled.user.version) == (False, 2)
    listed = await admin.stub.ListUsers(pb.ListUsersRequest(), metadata=md)
    assert {u.tenant_id for u in listed.users} == {"globex"}


async def test_status_codes_for_missing_token_wrong_role_other_tenant_and_stale_version(
    admin: Admin,
) -> None:
    async def code(call: object) -> grpc.StatusCode:
        with pytest.raises(aio.AioRpcError) as info:
            await call  # type: ignore[misc]
        return info.value.code()

    assert (
        await code(admin.stub.ListUsers(pb.ListUsersRequest())) == grpc.StatusCode.UNAUTHENTICATED
    )
    trader = await admin.token("trader@acme", "trader-demo")
    listing = admin.stub.ListUsers(pb.ListUsersRequest(), metadata=trader)
    assert await code(listing) == grpc.StatusCode.PERMISSION_DENIED
    acme_admin = await admin.token("admin@acme", "admin-demo")
    foreign = pb.SetUserRolesRequest(
        user_id="u-globex-trader", roles=["ROLE_ADMIN"], expected_version=1
    )
    assert (
        await code(admin.stub.SetUserRoles(foreign, metadata=acme_admin))
        == grpc.StatusCode.NOT_FOUND
    )
    stale = pb.SetUserRolesRequest(user_id="u-acme-sales", roles=["ROLE_SALES"], expected_version=7)
    assert (
        await code(admin.stub.SetUserRoles(stale, metadata=acme_admin)) == grpc.StatusCode.ABORTED
    )

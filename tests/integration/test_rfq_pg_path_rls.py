"""The RFQ service's asyncpg path under its own database role: the one-round-trip read binds
the tenant only for its own statement, and neither reads nor commands reach another tenant."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest

from eventbus.outbox import driver_connection
from services.identity.db_roles import RFQ_ROLE
from services.rfq.commands import Caller, CancelRfq
from services.rfq.handlers import RfqNotFound, cancel_rfq, get_rfq
from tests.integration.test_rls_services import (  # noqa: F401  (the `roles` fixture)
    Roles,
    deps_on,
    open_one_rfq_per_tenant,
    roles,
)

pytestmark = pytest.mark.integration


async def test_a_read_sees_its_tenant_only_and_leaves_no_tenant_on_the_connection(
    roles: Roles,  # noqa: F811
) -> None:
    made = await open_one_rfq_per_tenant(roles)
    deps = deps_on(roles)
    assert (await get_rfq(deps, "tenant-a", made["tenant-a"])).tenant_id == "tenant-a"
    with pytest.raises(RfqNotFound):
        await get_rfq(deps, "tenant-a", made["tenant-b"])
    # rfq_read() binds the tenant transaction-locally: the pooled connection carries none after.
    async with driver_connection(roles[RFQ_ROLE]) as conn:
        assert not await conn.fetchval("SELECT current_setting('app.tenant_id', true)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="outside a tenant"):
            await conn.fetch("SELECT rfq_id FROM rfqs")


async def test_a_command_cannot_reach_another_tenants_rfq(roles: Roles) -> None:  # noqa: F811
    made = await open_one_rfq_per_tenant(roles)
    deps = deps_on(roles)
    with pytest.raises(RfqNotFound):
        await cancel_rfq(deps, Caller("tenant-a", "alice", "c-x"), CancelRfq("", made["tenant-b"]))
    assert (await get_rfq(deps, "tenant-b", made["tenant-b"])).state.value == "SENT"

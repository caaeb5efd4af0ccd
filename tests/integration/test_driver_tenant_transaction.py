"""core.db.driver_tenant_transaction, the asyncpg transaction of the RFQ write path and of the
idempotent consumers on Postgres: bound to its tenant, rolled back on an error (the pool's reset
would not: SQLAlchemy did not begin it), and any tenant id works."""

from __future__ import annotations

from typing import Any

import pytest

from core.db import Database
from core.db import driver_tenant_transaction as tenant_transaction
from services.rfq.store import ConcurrentModification

pytestmark = pytest.mark.integration

_TENANT = "SELECT current_setting('app.tenant_id', true)"


async def test_an_error_rolls_back_and_the_connection_is_clean_for_the_next_user(
    db: Database,
) -> None:
    async def losing_write() -> None:
        async with tenant_transaction(db, "t1") as conn:
            await conn.execute("CREATE TEMP TABLE scratch (x int)")
            raise ConcurrentModification("lost the race")

    with pytest.raises(ConcurrentModification):
        await losing_write()
    raw = await db.engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        assert not conn.is_in_transaction()
        assert not await conn.fetchval(_TENANT)
        assert await conn.fetchval("SELECT to_regclass('pg_temp.scratch')") is None
    finally:
        raw.close()


@pytest.mark.parametrize("tenant", ["t1", "acme:eu-1@desk", "o'brien \\ co", "x" * 80])
async def test_the_transaction_is_bound_to_any_tenant_id_verbatim(
    db: Database, tenant: str
) -> None:
    async with tenant_transaction(db, tenant) as conn:
        assert await conn.fetchval(_TENANT) == tenant
        assert conn.is_in_transaction()

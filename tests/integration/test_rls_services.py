"""The domain services' own tables under row-level security, with each service on its own role."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

import eventbus.consumer  # noqa: F401  (processed_events table)
import services.execution.store
import services.identity.models  # noqa: F401  (identity tables)
from bff.auth.revocation import InMemoryRevocationList
from bff.grpc.rfq_audit import AuditTrail
from core.db import Database, MissingTenant, create_database, drop_database, utc_now
from core.settings import Profile, Settings
from eventbus.consumer import prune_processed
from eventbus.kafka import KafkaBus
from eventbus.relay import OutboxRelay
from eventbus.topics import TOPICS
from orion.identity.v1 import events_pb2 as identity_pb
from services.audit import store as audit_store
from services.audit.chain import verify
from services.execution.domain import Side as TradeSide
from services.execution.domain import Trade
from services.execution.store import insert_once
from services.identity.bootstrap import build
from services.identity.config import IdentitySettings
from services.identity.db_roles import (
    AUDITOR_ROLE,
    BFF_ROLE,
    EXECUTION_ROLE,
    IDENTITY_ROLE,
    PRUNER_ROLE,
    RELAY_ROLE,
    RFQ_EXPIRY_ROLE,
    RFQ_ROLE,
    SERVICE_ROLES,
    TENANT_TABLES,
    ensure_roles,
    migrate,
)
from services.identity.keys import KeyStore
from services.identity.seed import seed
from services.identity.tenancy import tenant_transaction
from services.lp_bots.mids import MidBoard
from services.lp_bots.profiles import REFERENCE_MIDS
from services.rfq.bootstrap import build_deps
from services.rfq.commands import Caller, CreateRfq
from services.rfq.events import Side
from services.rfq.handlers import RfqDeps, create_rfq
from services.rfq.store import open_rfqs

pytestmark = pytest.mark.integration
TENANTS = ("tenant-a", "tenant-b")
TOPIC_NAMES = ("rfq.lifecycle.v1", "rfq.quotes.v1", "execution.trades.v1")


@dataclass
class Roles:
    settings: Settings
    owner: Database
    pools: dict[str, Database]

    def __getitem__(self, role: str) -> Database:
        return self.pools[role]


async def sql(db: Database, tenant: str | None, statement: str, **params: Any) -> Any:
    """Raw SQL (the point is that no repository filter helps) in one tenant's transaction, or
    in a transaction with no tenant at all."""
    session = db.sessions() if tenant is None else db.tenant_session(tenant)
    async with session as s, s.begin():
        return (await (await s.connection()).execute(text(statement), params)).all()


@pytest.fixture
async def roles(database_url: str) -> AsyncIterator[Roles]:
    admin = os.environ.get("ORION_PG_ADMIN_URL") or make_url(database_url).set(
        username="postgres"
    ).render_as_string(False)
    await ensure_roles(admin)
    name = f"orion_rls_{uuid.uuid4().hex[:10]}"
    url = await create_database(database_url, name)
    settings = Settings(profile=Profile.REAL, database_url=url, env=f"rls{uuid.uuid4().hex[:6]}")
    pools = {role: Database.for_role(settings, role, pool_size=2) for role in SERVICE_ROLES}
    await migrate(settings, pools[RFQ_ROLE])
    owner = Database.from_url(url, pool_size=1)
    try:
        yield Roles(settings, owner, pools)
    finally:
        for db in (owner, *pools.values()):
            await db.dispose()
        await drop_database(database_url, name)


def deps_on(roles: Roles) -> RfqDeps:
    return build_deps(roles.settings, roles[RFQ_ROLE], MidBoard(REFERENCE_MIDS, None))


async def open_one_rfq_per_tenant(roles: Roles) -> dict[str, str]:
    """tenant -> rfq id, created by the real handler as the RFQ service's role."""
    deps, made = deps_on(roles), {}
    for tenant in TENANTS:
        cmd = CreateRfq(f"k-{tenant}", "FX.EURUSD", Side.BUY, Decimal("1000000"), timedelta(60))
        made[tenant] = (await create_rfq(deps, Caller(tenant, "alice", f"c-{tenant}"), cmd)).rfq_id
    return made


def trade_of(tenant: str) -> Trade:
    now = utc_now()
    return Trade(
        trade_id=f"tr-{tenant}", tenant_id=tenant, rfq_id=f"r-{tenant}", quote_id="q1",
        instrument_id="FX.EURUSD", side=TradeSide.BUY, quantity=Decimal(1), price=Decimal(1),
        buyer_id="alice", seller_id="lp1", venue_id="RFQ-1", requester_id="alice", lp_id="lp1",
        accepted_at=now, executed_at=now,
    )  # fmt: skip


async def test_service_roles_own_nothing_and_do_not_bypass_rls(roles: Roles) -> None:
    for role in SERVICE_ROLES:
        [me] = await sql(
            roles[role],
            None,
            "SELECT current_user AS who, rolbypassrls, rolsuper FROM pg_roles "
            "WHERE rolname = current_user",
        )
        assert (me.who, me.rolbypassrls, me.rolsuper) == (role, False, False)
    tables = await sql(
        roles.owner,
        None,
        "SELECT relname, relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) AS owner "
        "FROM pg_class WHERE relname = ANY(:t) AND relkind = 'r'",
        t=list(TENANT_TABLES),
    )
    assert {t.relname for t in tables} == set(TENANT_TABLES)
    for table in tables:
        assert (table.relrowsecurity, table.relforcerowsecurity) == (True, True), table.relname
        assert table.owner not in SERVICE_ROLES


async def test_rfq_role_sees_only_its_tenants_rows_in_raw_sql(roles: Roles) -> None:
    made = await open_one_rfq_per_tenant(roles)
    for table in ("rfqs", "rfq_idempotency", "outbox_events", "audit_log"):
        rows = await sql(roles[RFQ_ROLE], "tenant-a", f"SELECT tenant_id FROM {table}")  # noqa: S608
        assert rows, table
        assert {r.tenant_id for r in rows} == {"tenant-a"}, table
    [row] = await sql(roles[RFQ_ROLE], "tenant-b", "SELECT rfq_id FROM rfqs")
    assert row.rfq_id == made["tenant-b"]


async def test_writing_another_tenants_row_is_refused_by_the_policy(roles: Roles) -> None:
    await open_one_rfq_per_tenant(roles)
    with pytest.raises(DBAPIError, match="row-level security"):
        await sql(
            roles[RFQ_ROLE],
            "tenant-a",
            "INSERT INTO rfq_idempotency (tenant_id, command, idempotency_key, rfq_id, "
            "created_at) VALUES ('tenant-b', 'create', 'planted', 'x', now())",
        )
    changed = await sql(
        roles[RFQ_ROLE],
        "tenant-a",
        "UPDATE rfqs SET state = 'CANCELLED' WHERE tenant_id = 'tenant-b' RETURNING rfq_id",
    )
    assert changed == []
    with pytest.raises(DBAPIError, match="row-level security"):
        async with roles[EXECUTION_ROLE].tenant_session("tenant-a") as s, s.begin():
            await insert_once(s, trade_of("tenant-b"))


async def test_no_tenant_set_fails_instead_of_seeing_everything(roles: Roles) -> None:
    await open_one_rfq_per_tenant(roles)
    for role, table in ((RFQ_ROLE, "rfqs"), (EXECUTION_ROLE, "trades"), (RFQ_ROLE, "audit_log")):
        with pytest.raises(DBAPIError, match="outside a tenant transaction"):
            await sql(roles[role], None, f"SELECT count(*) FROM {table}")  # noqa: S608
    with pytest.raises(MissingTenant):
        roles[RFQ_ROLE].tenant_session("")


async def test_execution_role_is_isolated_and_limited_to_its_tables(roles: Roles) -> None:
    for tenant in TENANTS:
        async with roles[EXECUTION_ROLE].tenant_session(tenant) as s, s.begin():
            assert await insert_once(s, trade_of(tenant))
    rows = await sql(roles[EXECUTION_ROLE], "tenant-b", "SELECT tenant_id FROM trades")
    assert [r.tenant_id for r in rows] == ["tenant-b"]
    with pytest.raises(DBAPIError, match="permission denied"):
        await sql(roles[EXECUTION_ROLE], "tenant-b", "SELECT count(*) FROM rfqs")
    with pytest.raises(DBAPIError, match="permission denied"):
        await sql(roles[RFQ_ROLE], "tenant-b", "SELECT count(*) FROM trades")


async def test_relay_role_publishes_every_tenants_rows_and_nothing_else(
    roles: Roles, kafka_bootstrap: str
) -> None:
    await open_one_rfq_per_tenant(roles)
    env = roles.settings.env
    bus = KafkaBus(kafka_bootstrap, client_id=f"relay-{env}")
    await bus.start()
    try:
        await bus.ensure_topics([TOPICS[n].spec(env) for n in TOPIC_NAMES])
        published = await OutboxRelay(roles[RELAY_ROLE], bus).drain()
    finally:
        await bus.stop()
    for tenant in TENANTS:
        left = await sql(
            roles[RFQ_ROLE], tenant, "SELECT count(*) AS n FROM outbox_events "
            "WHERE published_at IS NULL"
        )  # fmt: skip
        assert left[0].n == 0
    assert published >= len(TENANTS)
    with pytest.raises(DBAPIError, match="permission denied"):
        await sql(roles[RELAY_ROLE], None, "SELECT count(*) FROM rfqs")
    with pytest.raises(DBAPIError, match="permission denied"):
        await sql(
            roles[RELAY_ROLE], None, "INSERT INTO outbox_events (event_id, tenant_id, topic, "
            "key, value, headers, shard, created_at) VALUES ('x', 't', 't', '', '', '', 0, now())"
        )  # fmt: skip


async def test_cross_tenant_readers_get_only_their_narrow_view(roles: Roles) -> None:
    made = await open_one_rfq_per_tenant(roles)
    async with roles[RFQ_EXPIRY_ROLE].sessions() as s:
        found = await open_rfqs(s)
    assert {(t, r) for t, r, _ in found} == {(t, made[t]) for t in TENANTS}
    with pytest.raises(DBAPIError, match="permission denied"):
        await sql(roles[RFQ_EXPIRY_ROLE], None, "SELECT doc FROM rfqs")
    auditor = roles[AUDITOR_ROLE]
    assert await audit_store.tenants(auditor) == list(TENANTS)
    for tenant in TENANTS:
        report = verify(tenant, await audit_store.load_chain(auditor, tenant))
        assert report.ok
        assert report.checked > 0
    with pytest.raises(DBAPIError, match="permission denied"):
        await sql(auditor, None, "DELETE FROM audit_log")


async def test_the_tenant_setting_ends_with_its_transaction(roles: Roles) -> None:
    await open_one_rfq_per_tenant(roles)
    db = roles[RFQ_ROLE]
    async with tenant_transaction(db, "tenant-a") as s:
        pid = (await (await s.connection()).execute(text("SELECT pg_backend_pid()"))).scalar()
    async with db.sessions() as s:
        conn = await s.connection()
        assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar() == pid
        with pytest.raises(DBAPIError, match="outside a tenant transaction"):
            await conn.execute(text("SELECT count(*) FROM rfqs"))


async def test_orion_audit_verify_reads_every_tenant_as_the_auditor(roles: Roles) -> None:
    from core.cli.audit import _verify

    await open_one_rfq_per_tenant(roles)
    reports = await _verify(roles.settings.effective_database_url(), None)
    assert [r.tenant_id for r in reports] == list(TENANTS)
    assert all(r.ok for r in reports)


async def test_identity_role_keeps_its_tables_and_only_inserts_events(
    roles: Roles, tmp_path: Path
) -> None:
    settings = IdentitySettings(argon2_time_cost=1, argon2_memory_kib=1024)
    platform = Settings(home=tmp_path)
    svc = build(
        settings,
        platform=platform,
        db=roles[IDENTITY_ROLE],
        keys=KeyStore.ephemeral(),
        revocations=InMemoryRevocationList(),
    )
    await seed(svc.repo, platform, tmp_path / "service-accounts.json")
    outcome = await svc.login.attempt("trader@acme", "trader-demo", identity_pb.RequestOrigin())
    assert outcome.ok
    [events] = await sql(
        roles.owner, "acme", "SELECT count(*) AS n FROM outbox_events WHERE tenant_id = 'acme'"
    )
    assert events.n > 0
    for table in ("outbox_events", "rfqs", "audit_log"):
        with pytest.raises(DBAPIError, match="permission denied"):
            await sql(roles[IDENTITY_ROLE], None, f"SELECT count(*) FROM {table}")  # noqa: S608


async def test_bff_role_reads_only_its_tenants_audit_rows_and_writes_nothing(
    roles: Roles,
) -> None:
    await open_one_rfq_per_tenant(roles)
    trail = AuditTrail(roles[BFF_ROLE])
    # Asking tenant-a's trail for tenant-b's correlation id yields nothing, not an error.
    found = await trail.of_correlations("tenant-a", ["c-tenant-a", "c-tenant-b"])
    assert found["c-tenant-a"]
    assert "c-tenant-b" not in found
    rows = await sql(roles[BFF_ROLE], "tenant-a", "SELECT DISTINCT tenant_id FROM audit_log")
    assert [r.tenant_id for r in rows] == ["tenant-a"]
    with pytest.raises(DBAPIError, match="outside a tenant transaction"):
        await sql(roles[BFF_ROLE], None, "SELECT count(*) FROM audit_log")
    writes = (
        "DELETE FROM audit_log",
        "UPDATE audit_log SET reason = 'x'",
        "INSERT INTO audit_log (tenant_id) VALUES ('tenant-a')",
    )
    for statement in writes:
        with pytest.raises(DBAPIError, match="permission denied"):
            await sql(roles[BFF_ROLE], "tenant-a", statement)
    for table in ("rfqs", "trades", "outbox_events", "processed_events", "identity_users"):
        with pytest.raises(DBAPIError, match="permission denied"):
            await sql(roles[BFF_ROLE], "tenant-a", f"SELECT count(*) FROM {table}")  # noqa: S608


async def test_pruner_role_deletes_every_tenants_old_processed_rows_and_reads_nothing(
    roles: Roles,
) -> None:
    now = utc_now()
    for tenant in TENANTS:
        for event_id, age in (("old", timedelta(days=40)), ("new", timedelta(0))):
            await sql(
                roles[EXECUTION_ROLE], tenant, "INSERT INTO processed_events (tenant_id, "
                "consumer_group, event_id, processed_at) VALUES (:t, 'g', :e, :at) "
                "RETURNING event_id",
                t=tenant, e=event_id, at=now - age,
            )  # fmt: skip
    assert await prune_processed(roles[PRUNER_ROLE], timedelta(days=30)) == len(TENANTS)
    for tenant in TENANTS:
        rows = await sql(roles[EXECUTION_ROLE], tenant, "SELECT event_id FROM processed_events")
        assert [r.event_id for r in rows] == ["new"]
    for statement in (
        "SELECT event_id, tenant_id FROM processed_events",
        "INSERT INTO processed_events VALUES ('t', 'g', 'x', now())",
        "SELECT count(*) FROM audit_log",
    ):
        with pytest.raises(DBAPIError, match="permission denied"):
            await sql(roles[PRUNER_ROLE], None, statement)

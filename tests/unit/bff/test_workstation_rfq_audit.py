"""Rfq.audit: the audit trail of the RFQ's correlation id, tenant-scoped, from the audit store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bff.grpc.rfq_audit import AuditTrail
from bff.grpc.rfq_fake import FakeRfqService, fake_rfq_client
from core.db import Database
from services.audit.chain import AuditEntry
from services.audit.store import append
from tests.unit.bff.conftest import Executor

QUERY = """
query ($id: ID!) {
  rfq(id: $id) { correlationId audit { at event actor outcome detail entityId correlationId } }
}"""
CREATE = """
mutation {
  createRfq(input: {instrumentId: "FX.EURUSD", side: BUY, quantity: "1", idempotencyKey: "k"}) {
    ... on Rfq { id }
  }
}"""


def _entry(tenant: str, action: str, correlation: str, minute: int) -> AuditEntry:
    return AuditEntry(
        tenant_id=tenant,
        actor="trader-1",
        action=action,
        occurred_at=datetime(2026, 11, 24, tzinfo=UTC) + timedelta(minutes=minute),
        correlation_id=correlation,
        component="rfq",
        entity_type="rfq",
        entity_id="rfq-1",
        outcome="allowed",
        reason="within limit" if action.startswith("PreTrade") else "",
    )


@pytest.fixture
async def audit_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")
    await db.create_all()
    entries = [
        _entry("acme", "RfqCreated", "corr-test-1", 2),
        _entry("acme", "PreTradeCheck.max_notional", "corr-test-1", 1),
        _entry("globex", "RfqCreated", "corr-test-1", 3),  # same id, other tenant: not shown
        _entry("acme", "RfqCreated", "corr-other", 4),
    ]
    await append(db, entries)
    yield db
    await db.dispose()


async def test_rfq_audit_is_its_correlation_ids_records_in_time_order(
    gql: Executor, audit_db: Database
) -> None:
    service = FakeRfqService()
    ctx = await gql.context("workstation", gql.issuer.mint())
    ctx.downstreams.rfq = fake_rfq_client(service)
    ctx.downstreams.audit = AuditTrail(audit_db)
    schema = gql.schemas["workstation"]
    rfq_id = (await schema.execute(CREATE, context_value=ctx)).data["createRfq"]["id"]  # type: ignore[index]
    ctx = await gql.context("workstation", gql.issuer.mint())
    ctx.downstreams.rfq = fake_rfq_client(service)
    ctx.downstreams.audit = AuditTrail(audit_db)
    result = await schema.execute(QUERY, variable_values={"id": rfq_id}, context_value=ctx)
    assert result.errors is None
    audit = result.data["rfq"]["audit"]  # type: ignore[index]
    assert [a["event"] for a in audit] == ["PreTradeCheck.max_notional", "RfqCreated"]
    assert audit[0]["detail"] == "within limit"
    assert audit[1]["detail"] is None
    assert {a["correlationId"] for a in audit} == {"corr-test-1"}
    assert audit[0]["at"].startswith("2026-11-24T00:01:00")


async def test_without_an_audit_store_audit_is_null(gql: Executor) -> None:
    service = FakeRfqService()
    ctx = await gql.context("workstation", gql.issuer.mint())
    ctx.downstreams.rfq = fake_rfq_client(service)
    schema = gql.schemas["workstation"]
    rfq_id = (await schema.execute(CREATE, context_value=ctx)).data["createRfq"]["id"]  # type: ignore[index]
    result = await schema.execute(QUERY, variable_values={"id": rfq_id}, context_value=ctx)
    assert result.errors is None
    assert result.data["rfq"]["audit"] is None  # type: ignore[index]

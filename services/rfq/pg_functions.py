"""Postgres functions of the RFQ service's asyncpg path: work that must happen in order inside
the database (a lock, then a fresh read) in one round trip. Created after `create_all`."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import register_ddl

# One RFQ read outside any transaction (GetRfq, called on every change an RFQ screen sees): it
# binds the tenant for row-level security itself, transaction-locally ('app.tenant_id' is
# core.db.TENANT_SETTING), so an autocommit call needs no BEGIN/set_config/COMMIT around it.
# SECURITY INVOKER (the default): the caller's role and the tenant policies decide what it sees.
_READ = """
CREATE OR REPLACE FUNCTION rfq_read(p_tenant text, p_rfq_id text)
RETURNS SETOF rfqs LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant, true);
  RETURN QUERY SELECT * FROM rfqs WHERE tenant_id = p_tenant AND rfq_id = p_rfq_id;
END;
$$
"""

# The start of every RFQ write, inside the writer's tenant transaction: lock the tenant's audit
# chain (the lock every RFQ writer takes first, so writers never deadlock and never lose a
# version race), then - with a fresh snapshot, plpgsql takes one per statement in READ
# COMMITTED - read the chain head, an idempotency key's earlier result and the RFQs `p_ids`.
# Always one row at least: head and replay columns, RFQ columns NULL when none matched.
_LOCK_AND_LOAD = """
CREATE OR REPLACE FUNCTION rfq_lock_and_load(
  p_tenant text, p_ids text[], p_command text, p_key text)
RETURNS TABLE (head_seq bigint, head_hash text, replay_of text, rfq_id text,
  tenant_id text, requester_id text, instrument_id text, state text, version bigint,
  sequence bigint, created_at timestamptz, expires_at timestamptz, correlation_id text,
  doc text)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  h_seq bigint;
  h_hash text;
  replay text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('audit:' || p_tenant));
  SELECT a.seq, a.hash INTO h_seq, h_hash FROM audit_log a
    WHERE a.tenant_id = p_tenant ORDER BY a.seq DESC LIMIT 1;
  SELECT i.rfq_id INTO replay FROM rfq_idempotency i
    WHERE i.tenant_id = p_tenant AND i.command = p_command AND i.idempotency_key = p_key;
  RETURN QUERY SELECT h_seq, h_hash::text, replay::text, r.rfq_id::text, r.tenant_id::text,
    r.requester_id::text, r.instrument_id::text, r.state::text, r.version, r.sequence,
    r.created_at, r.expires_at, r.correlation_id::text, r.doc
    FROM (SELECT 1) AS one
    LEFT JOIN rfqs r ON r.tenant_id = p_tenant AND r.rfq_id = ANY(p_ids);
END;
$$
"""


async def _create(conn: AsyncConnection) -> None:
    # Serialised with the other processes' migrations (concurrent CREATE OR REPLACE collide).
    await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('orion:tenancy-ddl'))"))
    await conn.execute(text(_READ))
    await conn.execute(text(_LOCK_AND_LOAD))


register_ddl("postgresql", _create)

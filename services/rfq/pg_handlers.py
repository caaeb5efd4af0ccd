"""The RFQ commands on Postgres through the asyncpg write path (pg_store): same decisions as
handlers.py, about a third of the round trips and none of the ORM's per-object work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import asyncpg  # type: ignore[import-untyped]

from core.db import driver_tenant_transaction
from services.rfq import metrics
from services.rfq import pg_store as pg
from services.rfq.commands import Caller, CreateRfq
from services.rfq.domain import Rfq
from services.rfq.handlers import (
    MAX_ATTEMPTS,
    RfqDeps,
    _decisions_audit,
    _new_rfq,
    owned,
)
from services.rfq.staging import Staged, prepare
from services.rfq.store import ConcurrentModification, Loaded

T = TypeVar("T")


async def retrying(attempt: Callable[[], Awaitable[T]]) -> T:
    """Redo a whole transaction (fresh read) when another writer won the race."""
    for n in range(1, MAX_ATTEMPTS + 1):
        try:
            return await attempt()
        except (ConcurrentModification, asyncpg.IntegrityConstraintViolationError):
            if n == MAX_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _committed(rfq: Rfq, events: list[object]) -> None:
    # No in-process relay signal here: the write's NOTIFY reaches this process's relay too (it
    # LISTENs), and a second wake-up right after the first would cost it an empty claim.
    metrics.observe(rfq, events)  # type: ignore[arg-type]


async def create(deps: RfqDeps, caller: Caller, cmd: CreateRfq) -> Rfq:
    tenant, key = caller.tenant_id, cmd.idempotency_key
    async with driver_tenant_transaction(deps.db, tenant) as conn:
        locked = await pg.lock_and_load(conn, tenant, [], "create", key)
        if locked.replay_of is not None:
            earlier = await pg.load(conn, tenant, locked.replay_of)
            if earlier is not None:
                return earlier.rfq
        rfq, result = _new_rfq(deps, caller, cmd)
        events = rfq.pull_events()
        staged = Staged()
        seq = prepare(
            staged, rfq, events, first_sequence=1, caller=caller, env=deps.env,
            clock=deps.clock, audit=_decisions_audit(caller, rfq, result),
        )  # fmt: skip
        remember = ("create", key, rfq.rfq_id, rfq.created_at) if key else None
        await pg.write(conn, tenant, staged, new=[(rfq, seq)], remember=remember, head=locked.head)
    _committed(rfq, list(events))
    return rfq


async def mutate(
    deps: RfqDeps,
    caller: Caller,
    command: str,
    key: str,
    rfq_id: str,
    decide: Callable[[Rfq, datetime], object],
) -> Rfq:
    """Accept and cancel: lock the chain, then replay by key or load, decide and save (the
    version guard still checks, though nobody can move the RFQ while the lock is held)."""
    tenant = caller.tenant_id
    async with driver_tenant_transaction(deps.db, tenant) as conn:
        locked = await pg.lock_and_load(conn, tenant, [rfq_id], command, key)
        found = locked.rfqs.get(rfq_id)
        if (replay_of := locked.replay_of) is not None:
            earlier = found if replay_of == rfq_id else await pg.load(conn, tenant, replay_of)
            if earlier is not None:
                return earlier.rfq
        loaded = owned(found, caller, rfq_id)
        now = deps.clock()
        decide(loaded.rfq, now)
        remember = (command, key, rfq_id, now) if key else None
        events = await _save(conn, deps, loaded, caller, remember, locked.head)
    _committed(loaded.rfq, events)
    return loaded.rfq


async def _save(
    conn: object,
    deps: RfqDeps,
    loaded: Loaded,
    caller: Caller,
    remember: tuple[str, str, str, datetime] | None,
    head: tuple[int, str],
) -> list[object]:
    events = loaded.rfq.pull_events()
    staged = Staged()
    seq = prepare(
        staged, loaded.rfq, events, first_sequence=loaded.sequence + 1, caller=caller,
        env=deps.env, clock=deps.clock,
    )  # fmt: skip
    await pg.write(
        conn, caller.tenant_id, staged, updated=[(loaded, seq)], remember=remember, head=head
    )
    return list(events)


async def expire(deps: RfqDeps, tenant_id: str, rfq_id: str) -> bool:
    """Close an RFQ whose expiry passed; False (and no write) if nothing was due or open."""
    async with driver_tenant_transaction(deps.db, tenant_id) as conn:
        locked = await pg.lock_and_load(conn, tenant_id, [rfq_id])
        loaded = locked.rfqs.get(rfq_id)
        if loaded is None or not loaded.rfq.expire(deps.clock()):
            return False
        caller = Caller(tenant_id, "system:expiry", loaded.rfq.correlation_id)
        events = await _save(conn, deps, loaded, caller, None, locked.head)
    _committed(loaded.rfq, events)
    return True

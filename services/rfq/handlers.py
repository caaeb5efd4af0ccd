"""RFQ command handlers: load, decide (domain), save + outbox + audit in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import uuid_utils
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import Database
from eventbus.outbox import outbox_signal
from services.audit.chain import AuditEntry
from services.audit.store import append
from services.rfq.commands import AcceptQuote, Caller, CancelRfq, CreateRfq
from services.rfq.domain import TERMINAL_STATES, Rfq, RfqSpec
from services.rfq.errors import NotRequester, RfqError
from services.rfq.risk import PreTradeResult, RateLimiter, pre_trade_check
from services.rfq.routing import Router
from services.rfq.staging import PRODUCER, Clock, stage
from services.rfq.store import ConcurrentModification, Loaded, RfqRepository

T = TypeVar("T")
MAX_ATTEMPTS = 5


class RfqNotFound(RfqError):
    code = "RFQ_NOT_FOUND"


@dataclass
class RfqDeps:
    """Everything the handlers need, chosen once by bootstrap."""

    db: Database
    env: str
    clock: Clock
    router: Router
    limiter: RateLimiter
    # (tenant, user) -> instruments the user may trade ("*" = all).
    entitlements: Callable[[str, str], Collection[str]]
    # instrument -> current mid, None when unknown.
    mids: Callable[[str], Decimal | None]
    # tenant -> LPs it may trade with; None = every LP.
    lp_entitlements: Callable[[str], Iterable[str] | None] = lambda _tenant: None
    # Called after an RFQ opened (tenant, rfq id, expiry): arms its expiry timer.
    on_open: Callable[[str, str, datetime], None] = field(default=lambda *_: None)
    # Called after a commit closed an RFQ for good (tenant, rfq id): its timer has nothing to do.
    on_close: Callable[[str, str], None] = field(default=lambda *_: None)


async def _save_changes(
    session: AsyncSession, repo: RfqRepository, loaded: Loaded, caller: Caller, deps: RfqDeps
) -> None:
    """Stage the aggregate's new events (outbox + audit) and save it under its version guard."""
    seq = await stage(
        session,
        loaded.rfq,
        loaded.rfq.pull_events(),
        first_sequence=loaded.sequence + 1,
        caller=caller,
        env=deps.env,
        clock=deps.clock,
    )
    await repo.save(loaded, seq)


async def _in_transaction(
    deps: RfqDeps, tenant_id: str, work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """Run `work` in one transaction of `tenant_id` (row-level security on Postgres); redo it
    when another writer won the race (fresh read)."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            async with deps.db.tenant_session(tenant_id) as session, session.begin():
                result = await work(session)
            outbox_signal.notify()
            return result
        except (ConcurrentModification, IntegrityError):
            if attempt == MAX_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _entitled(deps: RfqDeps, caller: Caller) -> Collection[str]:
    if caller.entitled_instruments is not None:
        return caller.entitled_instruments
    return deps.entitlements(caller.tenant_id, caller.user_id)


def _decisions_audit(caller: Caller, rfq: Rfq, result: PreTradeResult) -> list[AuditEntry]:
    return [
        AuditEntry(
            tenant_id=caller.tenant_id,
            actor=caller.user_id,
            action=f"PreTradeCheck.{d.check}",
            occurred_at=rfq.created_at,
            correlation_id=caller.correlation_id,
            component=PRODUCER,
            entity_type="rfq",
            entity_id=rfq.rfq_id,
            outcome="allowed" if d.allowed else "refused",
            reason=d.reason,
            details={"limit": d.limit, "observed": d.observed},
        )
        for d in result.decisions
    ]


async def _replay(repo: RfqRepository, caller: Caller, command: str, key: str) -> Rfq | None:
    if not key:
        return None
    rfq_id = await repo.idempotent_result(caller.tenant_id, command, key)
    if rfq_id is None:
        return None
    loaded = await repo.get(caller.tenant_id, rfq_id)
    return None if loaded is None else loaded.rfq


def _new_rfq(deps: RfqDeps, caller: Caller, cmd: CreateRfq) -> tuple[Rfq, PreTradeResult]:
    """The decision of a create: a new RFQ, checked, then routed or refused (events pending)."""
    now = deps.clock()
    mid = deps.mids(cmd.instrument_id)
    spec = RfqSpec(
        cmd.instrument_id,
        cmd.side,
        cmd.quantity,
        cmd.time_to_live,
        cmd.min_quantity,
        cmd.partial_allowed,
        cmd.venue_id,
    )
    rfq = Rfq.create(
        spec,
        str(uuid_utils.uuid7()),
        caller.tenant_id,
        caller.user_id,
        now,
        mid=mid,
        correlation_id=caller.correlation_id,
    )
    result = pre_trade_check(
        tenant_id=caller.tenant_id,
        user_id=caller.user_id,
        instrument_id=cmd.instrument_id,
        quantity=cmd.quantity,
        reference_price=mid,
        entitled=_entitled(deps, caller),
        limiter=deps.limiter,
        now=now,
    )
    _route_or_refuse(deps, rfq, result, now)
    return rfq, result


async def create_rfq(deps: RfqDeps, caller: Caller, cmd: CreateRfq) -> Rfq:
    """Pre-trade checks, then route; a refused RFQ is stored REJECTED with its reason."""

    async def work(session: AsyncSession) -> Rfq:
        repo = RfqRepository(session)
        if (earlier := await _replay(repo, caller, "create", cmd.idempotency_key)) is not None:
            return earlier
        rfq, result = _new_rfq(deps, caller, cmd)
        events = rfq.pull_events()
        seq = await stage(
            session,
            rfq,
            events,
            first_sequence=1,
            caller=caller,
            env=deps.env,
            clock=deps.clock,
            audit=_decisions_audit(caller, rfq, result),
        )
        await repo.add(rfq, seq)
        if cmd.idempotency_key:
            repo.remember(
                caller.tenant_id, "create", cmd.idempotency_key, rfq.rfq_id, rfq.created_at
            )
        return rfq

    if deps.db.is_postgres:
        from services.rfq import pg_handlers  # the asyncpg write path (ADR 0017)

        rfq = await pg_handlers.retrying(lambda: pg_handlers.create(deps, caller, cmd))
    else:
        rfq = await _in_transaction(deps, caller.tenant_id, work)
    if rfq.state.value == "SENT":
        deps.on_open(rfq.tenant_id, rfq.rfq_id, rfq.expires_at)
    return rfq


def _route_or_refuse(deps: RfqDeps, rfq: Rfq, result: PreTradeResult, now: datetime) -> None:
    breach = result.breach
    if breach is not None:
        rfq.reject_pre_trade(breach.check, breach.reason, breach.limit, breach.observed, now)
        return
    lps = deps.router.eligible(
        rfq.tenant_id, rfq.instrument_id, now, deps.lp_entitlements(rfq.tenant_id)
    )
    if not lps:
        rfq.reject_pre_trade("routing", "no eligible LP for this instrument", "", "0", now)
        return
    rfq.send(lps, now)


async def _load(repo: RfqRepository, caller: Caller, rfq_id: str) -> Loaded:
    return owned(await repo.get(caller.tenant_id, rfq_id), caller, rfq_id)


def owned(loaded: Loaded | None, caller: Caller, rfq_id: str) -> Loaded:
    """The RFQ a command acts on: it exists and the caller asked for it."""
    if loaded is None:
        raise RfqNotFound(f"RFQ {rfq_id} not found")
    if loaded.rfq.requester_id != caller.user_id:
        raise NotRequester("only the requester may act on this RFQ")
    return loaded


async def _audit_refusal(
    deps: RfqDeps, caller: Caller, action: str, rfq_id: str, error: RfqError
) -> None:
    entry = AuditEntry(
        tenant_id=caller.tenant_id,
        actor=caller.user_id,
        action=action,
        occurred_at=deps.clock(),
        correlation_id=caller.correlation_id,
        component=PRODUCER,
        entity_type="rfq",
        entity_id=rfq_id,
        outcome=f"refused:{error.code}",
        reason=str(error),
    )
    await append(deps.db, [entry])


async def _mutate(
    deps: RfqDeps,
    caller: Caller,
    command: str,
    key: str,
    rfq_id: str,
    decide: Callable[[Rfq, datetime], object],
) -> Rfq:
    """Shared shape of accept and cancel: replay by key, load, decide, save with the version."""

    async def work(session: AsyncSession) -> Rfq:
        repo = RfqRepository(session)
        if (earlier := await _replay(repo, caller, command, key)) is not None:
            return earlier
        loaded = await _load(repo, caller, rfq_id)
        now = deps.clock()
        decide(loaded.rfq, now)
        await _save_changes(session, repo, loaded, caller, deps)
        if key:
            repo.remember(caller.tenant_id, command, key, rfq_id, now)
        return loaded.rfq

    try:
        if deps.db.is_postgres:
            from services.rfq import pg_handlers

            rfq = await pg_handlers.retrying(
                lambda: pg_handlers.mutate(deps, caller, command, key, rfq_id, decide)
            )
        else:
            rfq = await _in_transaction(deps, caller.tenant_id, work)
    except RfqError as error:
        await _audit_refusal(deps, caller, command, rfq_id, error)
        raise
    if rfq.state in TERMINAL_STATES:
        deps.on_close(rfq.tenant_id, rfq.rfq_id)
    return rfq


async def accept_quote(deps: RfqDeps, caller: Caller, cmd: AcceptQuote) -> Rfq:
    """Optimistic: the expected version must be current and the RFQ open and unexpired."""
    return await _mutate(
        deps,
        caller,
        "AcceptQuote",
        cmd.idempotency_key,
        cmd.rfq_id,
        lambda rfq, now: rfq.accept(cmd.quote_id, cmd.expected_version, now),
    )


async def cancel_rfq(deps: RfqDeps, caller: Caller, cmd: CancelRfq) -> Rfq:
    """Cancel before any acceptance; after one it is a CancelAfterAccept error."""
    return await _mutate(
        deps,
        caller,
        "CancelRfq",
        cmd.idempotency_key,
        cmd.rfq_id,
        lambda rfq, now: rfq.cancel(caller.user_id, cmd.reason or "cancelled by requester", now),
    )


async def get_rfq(deps: RfqDeps, tenant_id: str, rfq_id: str) -> Rfq:
    if deps.db.is_postgres:
        from services.rfq import pg_store

        loaded = await pg_store.read(deps.db, tenant_id, rfq_id)
    else:
        async with deps.db.tenant_session(tenant_id) as session:
            loaded = await RfqRepository(session).get(tenant_id, rfq_id)
    if loaded is None:
        raise RfqNotFound(f"RFQ {rfq_id} not found")
    return loaded.rfq


async def expire_rfq(deps: RfqDeps, tenant_id: str, rfq_id: str) -> bool:
    """Close an RFQ whose expiry passed (timer callback); False if nothing was due or open."""

    async def work(session: AsyncSession) -> bool:
        repo = RfqRepository(session)
        loaded = await repo.get(tenant_id, rfq_id)
        if loaded is None or not loaded.rfq.expire(deps.clock()):
            return False
        caller = Caller(tenant_id, "system:expiry", loaded.rfq.correlation_id)
        await _save_changes(session, repo, loaded, caller, deps)
        return True

    if deps.db.is_postgres:
        from services.rfq import pg_handlers

        return await pg_handlers.retrying(lambda: pg_handlers.expire(deps, tenant_id, rfq_id))
    return await _in_transaction(deps, tenant_id, work)

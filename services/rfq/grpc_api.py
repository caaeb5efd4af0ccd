"""Thin RfqService servicer: metadata → Caller, proto → command → handler → proto; one error map."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import grpc
import uuid_utils
from grpc import aio

from core.logging import correlation_id_var, tenant_id_var
from orion.rfq.v1 import rfq_service_pb2 as pb
from orion.rfq.v1 import rfq_service_pb2_grpc as pb_grpc
from services.rfq import errors as err
from services.rfq.commands import AcceptQuote, Caller, CancelRfq, CreateRfq
from services.rfq.handlers import RfqDeps, RfqNotFound, accept_quote, cancel_rfq, create_rfq
from services.rfq.handlers import get_rfq as load_rfq
from services.rfq.mapping import SIDE_FROM_PB, STATE_FROM_PB, rfq_pb
from services.rfq.store import ConcurrentModification, RfqRepository

Ctx = aio.ServicerContext[Any, Any]
R = TypeVar("R")
MIN_TTL_MS, MAX_TTL_MS, DEFAULT_TTL_MS = 100, 600_000, 30_000
MAX_PAGE = 200

_STATUS: tuple[tuple[type[err.RfqError], grpc.StatusCode], ...] = (
    (RfqNotFound, grpc.StatusCode.NOT_FOUND),
    (err.QuoteNotFound, grpc.StatusCode.NOT_FOUND),
    (err.VersionConflict, grpc.StatusCode.ABORTED),
    (ConcurrentModification, grpc.StatusCode.ABORTED),
    (err.NotRequester, grpc.StatusCode.PERMISSION_DENIED),
    (err.InvalidRfq, grpc.StatusCode.INVALID_ARGUMENT),
)


def status_of(error: err.RfqError) -> grpc.StatusCode:
    """Not open, expired, cancel-after-accept and illegal moves are failed preconditions."""
    for kind, code in _STATUS:
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.FAILED_PRECONDITION


def _meta(context: Ctx, key: str) -> str:
    for item_key, value in context.invocation_metadata() or ():
        if item_key == key:
            return value.decode() if isinstance(value, bytes) else str(value)
    return ""


async def caller_of(context: Ctx) -> Caller:
    """Tenant and user are set by the BFF after authentication; a call without them is refused.

    `x-entitled-instruments` (comma-separated, `*` = all) carries the user's instrument
    entitlements from the token, so the service repeats the check and audits its reason.
    """
    tenant, user = _meta(context, "x-tenant-id"), _meta(context, "x-user-id")
    if not tenant or not user:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "x-tenant-id and x-user-id required")
    correlation = _meta(context, "x-correlation-id") or str(uuid_utils.uuid7())
    tenant_id_var.set(tenant)
    correlation_id_var.set(correlation)
    entitled = _meta(context, "x-entitled-instruments")
    instruments = (
        frozenset(i.strip() for i in entitled.split(",") if i.strip()) if entitled else None
    )
    return Caller(tenant, user, correlation, entitled_instruments=instruments)


async def _guard(context: Ctx, call: Callable[[], Awaitable[R]]) -> R:
    """The single place where domain errors become gRPC statuses (code in trailing metadata)."""
    try:
        return await call()
    except err.RfqError as error:
        context.set_trailing_metadata((("x-error-code", error.code),))
        await context.abort(status_of(error), f"{error.code}: {error}")
        raise  # abort() raises; keeps the type checker honest


def _decimal(text: str, name: str, required: bool = True) -> Decimal | None:
    if not text and not required:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise err.InvalidRfq(f"{name} must be a decimal string, got {text!r}") from None


def create_command(request: pb.CreateRfqRequest) -> CreateRfq:
    if request.side not in SIDE_FROM_PB:
        raise err.InvalidRfq("side must be BUY or SELL")
    ttl = request.expires_in_ms or DEFAULT_TTL_MS
    if not MIN_TTL_MS <= ttl <= MAX_TTL_MS:
        raise err.InvalidRfq(f"expires_in_ms must be within [{MIN_TTL_MS}, {MAX_TTL_MS}]")
    if not request.instrument_id:
        raise err.InvalidRfq("instrument_id is required")
    quantity = _decimal(request.quantity, "quantity")
    assert quantity is not None
    return CreateRfq(
        idempotency_key=request.idempotency_key,
        instrument_id=request.instrument_id,
        side=SIDE_FROM_PB[request.side],
        quantity=quantity,
        time_to_live=timedelta(milliseconds=ttl),
        min_quantity=_decimal(request.min_quantity, "min_quantity", required=False),
        partial_allowed=request.partial_allowed,
        venue_id=request.venue_id or None,
    )


def encode_cursor(created_at: datetime, rfq_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{rfq_id}".encode()).decode()


def decode_cursor(token: str) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        created, rfq_id = base64.urlsafe_b64decode(token.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created), rfq_id
    except ValueError:
        raise err.InvalidRfq("page_token is not a cursor of this service") from None


class RfqServicer(pb_grpc.RfqServiceServicer):
    def __init__(self, deps: RfqDeps) -> None:
        self._deps = deps

    async def CreateRfq(self, request: pb.CreateRfqRequest, context: Ctx) -> pb.CreateRfqResponse:
        who = await caller_of(context)
        rfq = await _guard(context, lambda: create_rfq(self._deps, who, create_command(request)))
        return pb.CreateRfqResponse(rfq=rfq_pb(rfq, self._deps.clock()))

    async def AcceptQuote(
        self, request: pb.AcceptQuoteRequest, context: Ctx
    ) -> pb.AcceptQuoteResponse:
        who = await caller_of(context)
        cmd = AcceptQuote(
            request.idempotency_key, request.rfq_id, request.quote_id, request.expected_version
        )
        rfq = await _guard(context, lambda: accept_quote(self._deps, who, cmd))
        return pb.AcceptQuoteResponse(rfq=rfq_pb(rfq, self._deps.clock()))

    async def CancelRfq(self, request: pb.CancelRfqRequest, context: Ctx) -> pb.CancelRfqResponse:
        who = await caller_of(context)
        cmd = CancelRfq(request.idempotency_key, request.rfq_id, request.reason)
        rfq = await _guard(context, lambda: cancel_rfq(self._deps, who, cmd))
        return pb.CancelRfqResponse(rfq=rfq_pb(rfq, self._deps.clock()))

    async def GetRfq(self, request: pb.GetRfqRequest, context: Ctx) -> pb.GetRfqResponse:
        who = await caller_of(context)
        rfq = await _guard(context, lambda: load_rfq(self._deps, who.tenant_id, request.rfq_id))
        return pb.GetRfqResponse(rfq=rfq_pb(rfq, self._deps.clock()))

    async def ListRfqs(self, request: pb.ListRfqsRequest, context: Ctx) -> pb.ListRfqsResponse:
        who = await caller_of(context)
        return await _guard(context, lambda: self._list(who, request))

    async def _list(self, who: Caller, request: pb.ListRfqsRequest) -> pb.ListRfqsResponse:
        size = min(request.page_size or 50, MAX_PAGE)
        states = {STATE_FROM_PB[s] for s in request.states if s in STATE_FROM_PB}
        async with self._deps.db.tenant_session(who.tenant_id) as session:
            rows = await RfqRepository(session).list(
                who.tenant_id,
                states=states or None,
                instrument_id=request.instrument_id or None,
                limit=size + 1,
                before=decode_cursor(request.page_token),
            )
        page, more = rows[:size], len(rows) > size
        token = encode_cursor(page[-1].created_at, page[-1].rfq_id) if more else ""
        now = self._deps.clock()
        return pb.ListRfqsResponse(rfqs=[rfq_pb(r, now) for r in page], next_page_token=token)

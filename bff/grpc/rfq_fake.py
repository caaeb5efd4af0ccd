"""An in-memory RFQ service behind a fake gRPC channel, for BFF tests (no network).

The real `RfqClient` and `Downstream` run on top of it, so the metadata the BFF sends and the
status mapping are exercised; refusals are real `AioRpcError`s with the service's
"<CODE>: <message>" details.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import grpc
from grpc import aio

from bff.grpc.breaker import CircuitBreaker
from bff.grpc.calls import CallPolicy, Downstream
from bff.grpc.rfq import RfqClient
from orion.rfq.v1 import rfq_pb2
from orion.rfq.v1 import rfq_service_pb2 as pb

OPEN = (rfq_pb2.RFQ_STATE_SENT, rfq_pb2.RFQ_STATE_QUOTING)
MAX_QUANTITY = Decimal(1_000_000_000)
Handler = Callable[[Any, dict[str, str]], Any]


class Refusal(Exception):
    def __init__(self, status: grpc.StatusCode, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status


@dataclass
class FakeRfqService:
    """Just enough of services/rfq: create (pre-trade checks), quotes, accept, cancel, reads."""

    rfqs: dict[str, rfq_pb2.Rfq] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    fail_with: grpc.StatusCode | None = None  # every call fails with this status (no detail)
    # An unknown id is created on first use for the caller (for tests that name any id).
    autocreate: bool = False
    # method name -> (status, service code): that method refuses so (e.g. a lost race).
    refuse: dict[str, tuple[grpc.StatusCode, str]] = field(default_factory=dict)

    def add_quote(self, rfq_id: str, lp_id: str, price: str, ttl_s: float = 10) -> str:
        rfq = self.rfqs[rfq_id]
        now = datetime.now(UTC)
        quote = rfq.quotes.add(
            quote_id=f"{rfq_id}-q{len(rfq.quotes) + 1}",
            rfq_id=rfq_id,
            lp_id=lp_id,
            price=price,
            quantity=rfq.quantity,
        )
        quote.received_at.FromDatetime(now)
        quote.valid_until.FromDatetime(now + timedelta(seconds=ttl_s))
        buy = rfq.side == rfq_pb2.SIDE_BUY
        live = sorted(rfq.quotes, key=lambda q: Decimal(q.price) * (1 if buy else -1))
        for rank, q in enumerate(live, start=1):
            q.rank = rank
        rfq.state, rfq.version = rfq_pb2.RFQ_STATE_QUOTING, rfq.version + 1
        return quote.quote_id

    def _owned(self, rfq_id: str, meta: dict[str, str]) -> rfq_pb2.Rfq:
        if self.autocreate and rfq_id not in self.rfqs:
            request = pb.CreateRfqRequest(
                instrument_id="X", side=rfq_pb2.SIDE_BUY, quantity="1", expires_in_ms=30_000
            )
            self.rfqs[rfq_id] = self.CreateRfq(request, meta).rfq
            self.rfqs[rfq_id].rfq_id = rfq_id
        rfq = self.rfqs.get(rfq_id)
        if rfq is None or rfq.tenant_id != meta.get("x-tenant-id", ""):
            raise Refusal(grpc.StatusCode.NOT_FOUND, "RFQ_NOT_FOUND", f"no RFQ {rfq_id}")
        return rfq

    def CreateRfq(self, req: pb.CreateRfqRequest, meta: dict[str, str]) -> Any:
        if Decimal(req.quantity or "0") <= 0:
            raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_RFQ", "quantity must be > 0")
        now = datetime.now(UTC)
        rfq = rfq_pb2.Rfq(
            rfq_id=f"rfq-{len(self.rfqs) + 1}",
            tenant_id=meta.get("x-tenant-id", ""),
            requester_id=meta.get("x-user-id", ""),
            instrument_id=req.instrument_id,
            side=req.side,
            quantity=req.quantity,
            state=rfq_pb2.RFQ_STATE_SENT,
            version=1,
            correlation_id=meta.get("x-correlation-id", ""),
            lp_ids=["LP-A", "LP-B"],
        )
        rfq.created_at.FromDatetime(now)
        rfq.expires_at.FromDatetime(now + timedelta(milliseconds=req.expires_in_ms))
        entitled = meta.get("x-entitled-instruments", "").split(",")
        if "*" not in entitled and req.instrument_id not in entitled:
            rfq.state, rfq.reason = rfq_pb2.RFQ_STATE_REJECTED, "entitlement: not entitled"
        elif Decimal(req.quantity) > MAX_QUANTITY:
            rfq.state, rfq.reason = rfq_pb2.RFQ_STATE_REJECTED, "max_notional: above limit"
        self.rfqs[rfq.rfq_id] = rfq
        return pb.CreateRfqResponse(rfq=rfq)

    def AcceptQuote(self, req: pb.AcceptQuoteRequest, meta: dict[str, str]) -> Any:
        rfq = self._owned(req.rfq_id, meta)
        if rfq.state not in OPEN:
            raise Refusal(grpc.StatusCode.FAILED_PRECONDITION, "RFQ_NOT_OPEN", "not open")
        if req.expected_version != rfq.version:
            raise Refusal(grpc.StatusCode.ABORTED, "VERSION_CONFLICT", "version moved")
        quote = next((q for q in rfq.quotes if q.quote_id == req.quote_id), None)
        if quote is None:
            raise Refusal(grpc.StatusCode.NOT_FOUND, "QUOTE_NOT_FOUND", req.quote_id)
        if quote.valid_until.ToDatetime(tzinfo=UTC) <= datetime.now(UTC):
            raise Refusal(grpc.StatusCode.FAILED_PRECONDITION, "QUOTE_EXPIRED", "quote lapsed")
        rfq.state, rfq.accepted_quote_id = rfq_pb2.RFQ_STATE_ACCEPTED, quote.quote_id
        rfq.version += 1
        return pb.AcceptQuoteResponse(rfq=rfq)

    def CancelRfq(self, req: pb.CancelRfqRequest, meta: dict[str, str]) -> Any:
        rfq = self._owned(req.rfq_id, meta)
        if rfq.state not in OPEN:
            raise Refusal(grpc.StatusCode.FAILED_PRECONDITION, "CANCEL_AFTER_ACCEPT", "accepted")
        rfq.state, rfq.reason, rfq.version = (
            rfq_pb2.RFQ_STATE_CANCELLED,
            req.reason,
            rfq.version + 1,
        )
        return pb.CancelRfqResponse(rfq=rfq)

    def GetRfq(self, req: pb.GetRfqRequest, meta: dict[str, str]) -> Any:
        return pb.GetRfqResponse(rfq=self._owned(req.rfq_id, meta))

    def ListRfqs(self, req: pb.ListRfqsRequest, meta: dict[str, str]) -> Any:
        mine = [r for r in self.rfqs.values() if r.tenant_id == meta.get("x-tenant-id", "")]
        mine = [r for r in mine if not req.states or r.state in req.states]
        mine.sort(key=lambda r: r.rfq_id, reverse=True)
        if not (req.page_token or "0").isdigit():
            raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_RFQ", "bad page_token")
        start = int(req.page_token or 0)
        page = mine[start : start + (req.page_size or 50)]
        more = start + len(page) < len(mine)
        token = str(start + len(page)) if more else ""
        return pb.ListRfqsResponse(rfqs=page, next_page_token=token)


class FakeRfqChannel:
    """Quacks like an aio.Channel for the generated stub: routes calls to a FakeRfqService."""

    def __init__(self, service: FakeRfqService) -> None:
        self.service = service

    def unary_unary(self, path: str, *_: Any, **__: Any) -> Callable[..., Awaitable[Any]]:
        method = path.rsplit("/", 1)[-1]

        async def call(request: Any, *, metadata: Any = (), **_: Any) -> Any:
            meta = {k: str(v) for k, v in metadata or ()}
            self.service.calls.append((method, meta))
            if self.service.fail_with is not None:
                raise aio.AioRpcError(self.service.fail_with, aio.Metadata(), aio.Metadata())
            try:
                if (planned := self.service.refuse.get(method)) is not None:
                    raise Refusal(planned[0], planned[1], "refused as planned by the test")
                return getattr(self.service, method)(request, meta)
            except Refusal as refused:
                raise aio.AioRpcError(
                    refused.status, aio.Metadata(), aio.Metadata(), details=str(refused)
                ) from None

        return call

    def unary_stream(self, path: str, *_: Any, **__: Any) -> Callable[..., Any]:
        return self.unary_unary(path)  # the health stub builds Watch; no test streams

    async def close(self) -> None:
        return None


def fake_rfq_client(service: FakeRfqService) -> RfqClient:
    """The real client (metadata, deadline, breaker, status mapping) over the fake service."""
    channel = cast(aio.Channel, FakeRfqChannel(service))
    return RfqClient(Downstream("rfq", channel, CallPolicy(), CircuitBreaker("rfq")))

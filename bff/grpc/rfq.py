"""Typed client of the RFQ service: generated stub behind the Downstream policy.

The caller's user and instrument entitlements travel as metadata (`x-user-id`,
`x-entitled-instruments`) next to the correlation id and tenant the Downstream adds. The service's
expected refusals arrive as "<CODE>: <message>" details; they become `RfqRefused` here, in one
place, and the resolvers turn them into union results.
"""

from __future__ import annotations

from typing import Any

from grpc_health.v1 import health_pb2, health_pb2_grpc

from bff.auth.principal import WILDCARD, Principal
from bff.grpc.calls import Downstream, with_metadata
from bff.grpc.errors import DownstreamError, DownstreamInvalidArgument
from bff.grpc.rfq_feed import RfqChangeFeed
from orion.rfq.v1 import rfq_pb2
from orion.rfq.v1 import rfq_service_pb2 as pb
from orion.rfq.v1 import rfq_service_pb2_grpc as pb_grpc

# Codes of the RFQ service's expected refusals (services/rfq/errors.py, RfqNotFound).
REFUSAL_CODES = frozenset(
    {
        "RFQ_NOT_FOUND",
        "QUOTE_NOT_FOUND",
        "RFQ_NOT_OPEN",
        "RFQ_EXPIRED",
        "QUOTE_EXPIRED",
        "VERSION_CONFLICT",
        "CANCEL_AFTER_ACCEPT",
        "ILLEGAL_TRANSITION",
        "NOT_REQUESTER",
        "INVALID_RFQ",
        "PRE_TRADE_REJECTED",
        "CONCURRENT_MODIFICATION",
    }
)


class RfqRefused(DownstreamError):
    """The RFQ service answered with an expected refusal (`refusal` is the service's code).

    Commands turn it into a union member; anywhere else it reaches the client as a typed
    BAD_USER_INPUT error with the service's code in extensions.rfqCode, never masked.
    """

    code = "BAD_USER_INPUT"

    def __init__(self, refusal: str, reason: str) -> None:
        super().__init__("rfq", f"{refusal}: {reason}")
        self.refusal = refusal
        self.reason = reason
        self.extensions = {**(self.extensions or {}), "rfqCode": refusal}


def refusal_of(error: DownstreamError) -> RfqRefused | None:
    """`RFQ_NOT_OPEN: RFQ is not open ...` -> RfqRefused; None for anything else."""
    code, sep, message = error.detail.partition(":")
    if sep and code.strip() in REFUSAL_CODES:
        return RfqRefused(code.strip(), message.strip())
    if isinstance(error, DownstreamInvalidArgument) and not sep:
        return RfqRefused("INVALID_RFQ", error.detail)
    return None


def entitled_instruments(principal: Principal, *also: str) -> str:
    """The `x-entitled-instruments` value: `*`, or the explicit ids plus ones the BFF checked."""
    explicit = principal.entitlements.instruments
    if WILDCARD in explicit:
        return WILDCARD
    return ",".join(sorted(set(explicit) | set(also)))


def caller_metadata(principal: Principal, *checked: str) -> tuple[tuple[str, str], ...]:
    return (
        ("x-user-id", principal.sub),
        ("x-entitled-instruments", entitled_instruments(principal, *checked)),
    )


class RfqClient:
    def __init__(self, downstream: Downstream, changes: RfqChangeFeed | None = None) -> None:
        self.downstream = downstream
        # Which RFQs just changed (pushes rfqUpdates); None: subscriptions poll.
        self.changes = changes
        self._stub = pb_grpc.RfqServiceStub(downstream.channel)
        self._health: Any = health_pb2_grpc.HealthStub(downstream.channel)

    async def _call(
        self,
        method: str,
        request: Any,
        who: Principal,
        *,
        idempotent: bool,
        checked: tuple[str, ...] = (),
    ) -> Any:
        rpc = with_metadata(getattr(self._stub, method), caller_metadata(who, *checked))
        try:
            return await self.downstream.call(method, rpc, request, idempotent=idempotent)
        except DownstreamError as exc:
            if (refused := refusal_of(exc)) is not None:
                raise refused from exc
            raise

    async def create_rfq(
        self, who: Principal, request: pb.CreateRfqRequest, *, checked: tuple[str, ...] = ()
    ) -> rfq_pb2.Rfq:
        """A command with an idempotency key: not retried here (the client may retry it)."""
        response = await self._call("CreateRfq", request, who, idempotent=False, checked=checked)
        return response.rfq  # type: ignore[no-any-return]

    async def accept_quote(self, who: Principal, request: pb.AcceptQuoteRequest) -> rfq_pb2.Rfq:
        response = await self._call("AcceptQuote", request, who, idempotent=False)
        return response.rfq  # type: ignore[no-any-return]

    async def cancel_rfq(self, who: Principal, request: pb.CancelRfqRequest) -> rfq_pb2.Rfq:
        response = await self._call("CancelRfq", request, who, idempotent=False)
        return response.rfq  # type: ignore[no-any-return]

    async def get_rfq(self, who: Principal, rfq_id: str) -> rfq_pb2.Rfq | None:
        try:
            response = await self._call(
                "GetRfq", pb.GetRfqRequest(rfq_id=rfq_id), who, idempotent=True
            )
        except RfqRefused as refused:
            if refused.refusal == "RFQ_NOT_FOUND":
                return None
            raise
        return response.rfq  # type: ignore[no-any-return]

    async def list_rfqs(self, who: Principal, request: pb.ListRfqsRequest) -> pb.ListRfqsResponse:
        response = await self._call("ListRfqs", request, who, idempotent=True)
        return response  # type: ignore[no-any-return]

    async def serving(self) -> bool:
        """Readiness probe through the standard gRPC health service (bypasses the breaker)."""
        request = health_pb2.HealthCheckRequest(service="")
        response = await self._health.Check(request, timeout=self.downstream.policy.timeout_s)
        return bool(response.status == health_pb2.HealthCheckResponse.SERVING)

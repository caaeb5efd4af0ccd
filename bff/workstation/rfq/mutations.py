"""RFQ commands: createRfq, acceptQuote, cancelRfq; expected refusals are union members."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from bff.auth import NotEntitled as NotEntitledError
from bff.common.fields import mutation
from bff.common.types import NotEntitled
from bff.context import Info
from bff.grpc.errors import DownstreamUnavailable
from bff.grpc.rfq import RfqClient, RfqRefused
from bff.workstation.instruments.types import _asset
from bff.workstation.rfq.inputs import AcceptQuoteInput, CancelRfqInput, CreateRfqInput
from bff.workstation.rfq.results import created, refusal
from bff.workstation.rfq.types import (
    AcceptQuoteResult,
    CancelRfqResult,
    CreateRfqResult,
    InvalidInput,
    LimitBreached,
    QuoteExpired,
    Rfq,
    RfqNotFound,
    RfqNotOpen,
    VersionConflict,
)
from orion.rfq.v1 import rfq_service_pb2 as pb

MAX_EXPIRY_S = 600


def rfq_client(info: Info) -> RfqClient:
    client = info.context.downstreams.rfq
    if client is None:
        raise DownstreamUnavailable("rfq", "the RFQ service is not configured in this BFF")
    return client


def _invalid(info: Info, code: str, message: str) -> InvalidInput:
    return InvalidInput(code=code, message=message, correlation_id=_corr(info))


def _positive(value: Decimal) -> bool:
    return value.is_finite() and value > 0


def _corr(info: Info) -> str:
    return info.context.current_correlation_id()


async def _entitlement(info: Info, instrument_id: str) -> NotEntitled | tuple[str, ...]:
    """Refused here when reference data knows the instrument and the user may not trade it;
    otherwise the ids the BFF vouches for in `x-entitled-instruments` (the service re-checks).

    An id unknown to reference data is not refused here: reference data can lag an instrument
    that market data and the LPs already know, so the service decides from the user's explicit
    instrument entitlements.
    """
    row = await info.context.loaders.instruments.load(instrument_id)
    if row is None:
        return ()
    try:
        info.context.require_principal().require_instrument(
            row.instrument_id, asset_class=_asset(row)
        )
    except NotEntitledError as exc:
        return NotEntitled(message=str(exc))
    return (row.instrument_id,)


def _create_request(data: CreateRfqInput) -> pb.CreateRfqRequest:
    return pb.CreateRfqRequest(
        idempotency_key=data.idempotency_key,
        instrument_id=str(data.instrument_id),
        side=data.side.to_pb(),
        quantity=str(data.quantity),
        expires_in_ms=data.expiry_seconds * 1000,
        min_quantity=str(data.min_quantity) if data.min_quantity is not None else "",
        partial_allowed=data.allow_partial,
        venue_id=str(data.venue_id or ""),
    )


@strawberry.type
class RfqMutations:
    @mutation("Send an RFQ to eligible LPs; a pre-trade refusal is LimitBreached or NotEntitled")
    async def create_rfq(self, info: Info, input: CreateRfqInput) -> CreateRfqResult:
        who = info.context.require_principal()
        if not 0 < input.expiry_seconds <= MAX_EXPIRY_S or not _positive(input.quantity):
            return _invalid(info, "INVALID_RFQ", "quantity > 0 and expirySeconds in 1..600")
        if input.min_quantity is not None and not _positive(input.min_quantity):
            return _invalid(info, "INVALID_RFQ", "minQuantity must be > 0")
        if not input.idempotency_key:
            return _invalid(info, "INVALID_RFQ", "idempotencyKey is required")
        instrument = str(input.instrument_id)
        checked = await _entitlement(info, instrument)
        if isinstance(checked, NotEntitled):
            return checked
        try:
            row = await rfq_client(info).create_rfq(who, _create_request(input), checked=checked)
        except RfqRefused as exc:
            return refusal(exc, _corr(info), (LimitBreached,))  # type: ignore[return-value]
        return created(Rfq.from_pb(row))

    @mutation("Accept a quote; the trade follows (after any last look): watch rfqUpdates/trades")
    async def accept_quote(self, info: Info, input: AcceptQuoteInput) -> AcceptQuoteResult:
        who = info.context.require_principal()
        client = rfq_client(info)
        try:
            version = input.expected_version
            if version is None:
                current = await client.get_rfq(who, str(input.rfq_id))
                if current is None:
                    return RfqNotFound(
                        code="RFQ_NOT_FOUND",
                        message=f"no RFQ {input.rfq_id}",
                        correlation_id=_corr(info),
                    )
                version = current.version
            request = pb.AcceptQuoteRequest(
                idempotency_key=input.idempotency_key,
                rfq_id=str(input.rfq_id),
                quote_id=str(input.quote_id),
                expected_version=max(0, version),
            )
            return Rfq.from_pb(await client.accept_quote(who, request))
        except RfqRefused as exc:
            members = (QuoteExpired, RfqNotOpen, RfqNotFound, VersionConflict)
            return refusal(exc, _corr(info), members)  # type: ignore[return-value]

    @mutation("Cancel an open RFQ (refused once a quote was accepted)")
    async def cancel_rfq(self, info: Info, input: CancelRfqInput) -> CancelRfqResult:
        who = info.context.require_principal()
        request = pb.CancelRfqRequest(
            idempotency_key=input.idempotency_key, rfq_id=str(input.rfq_id), reason=input.reason
        )
        try:
            return Rfq.from_pb(await rfq_client(info).cancel_rfq(who, request))
        except RfqRefused as exc:
            members = (RfqNotOpen, RfqNotFound, VersionConflict)
            return refusal(exc, _corr(info), members)  # type: ignore[return-value]

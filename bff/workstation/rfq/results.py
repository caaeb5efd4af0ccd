"""The RFQ service's refusal codes -> the union members the workstation returns."""

from __future__ import annotations

from bff.common.types import NotEntitled
from bff.grpc.rfq import RfqRefused
from bff.workstation.rfq.types import (
    InvalidInput,
    LimitBreached,
    OrionError,
    QuoteExpired,
    Rfq,
    RfqNotFound,
    RfqNotOpen,
    VersionConflict,
)

_BY_CODE: dict[str, type[OrionError]] = {
    "RFQ_NOT_FOUND": RfqNotFound,
    "RFQ_NOT_OPEN": RfqNotOpen,
    "ILLEGAL_TRANSITION": RfqNotOpen,
    "CANCEL_AFTER_ACCEPT": RfqNotOpen,
    "RFQ_EXPIRED": QuoteExpired,
    "QUOTE_EXPIRED": QuoteExpired,
    "VERSION_CONFLICT": VersionConflict,
    "CONCURRENT_MODIFICATION": VersionConflict,
    "PRE_TRADE_REJECTED": LimitBreached,
    "QUOTE_NOT_FOUND": InvalidInput,
    "INVALID_RFQ": InvalidInput,
}


def refusal(
    refused: RfqRefused, correlation_id: str, members: tuple[type, ...]
) -> OrionError | NotEntitled:
    """Every code has one member; a code unknown here, or whose member is not in the field's
    union (`members`), is reported as InvalidInput with the service's code, never masked."""
    if refused.refusal == "NOT_REQUESTER":
        return NotEntitled(message=refused.reason)
    kind = _BY_CODE.get(refused.refusal, InvalidInput)
    if kind not in members:
        kind = InvalidInput
    return kind(code=refused.refusal, message=refused.reason, correlation_id=correlation_id)


def created(rfq: Rfq) -> Rfq | NotEntitled | LimitBreached:
    """A pre-trade refusal is stored REJECTED by the service (audited): report it as such."""
    if rfq.status.value != "REJECTED":
        return rfq
    reason = rfq.status_reason or "refused by a pre-trade check"
    if reason.startswith("entitlement"):
        return NotEntitled(message=reason)
    return LimitBreached(
        code="PRE_TRADE_REJECTED", message=reason, correlation_id=rfq.correlation_id, rfq_id=rfq.id
    )

"""Typed errors of the RFQ domain; the gRPC layer maps each to one status code."""

from __future__ import annotations

from services.rfq.events import RfqState


class RfqError(Exception):
    """Base of every expected RFQ refusal."""

    code = "RFQ_ERROR"


class IllegalTransition(RfqError):
    code = "ILLEGAL_TRANSITION"

    def __init__(self, source: RfqState, target: RfqState) -> None:
        super().__init__(f"illegal transition {source} -> {target}")
        self.source = source
        self.target = target


class RfqNotOpen(RfqError):
    code = "RFQ_NOT_OPEN"

    def __init__(self, state: RfqState) -> None:
        super().__init__(f"RFQ is not open for this action (state {state})")
        self.state = state


class RfqAlreadyExpired(RfqError):
    code = "RFQ_EXPIRED"


class QuoteNotFound(RfqError):
    code = "QUOTE_NOT_FOUND"


class QuoteExpired(RfqError):
    code = "QUOTE_EXPIRED"


class VersionConflict(RfqError):
    code = "VERSION_CONFLICT"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, RFQ is at version {actual}")
        self.expected = expected
        self.actual = actual


class CancelAfterAccept(RfqError):
    code = "CANCEL_AFTER_ACCEPT"

    def __init__(self, state: RfqState) -> None:
        super().__init__(f"RFQ cannot be cancelled once a quote was accepted (state {state})")
        self.state = state


class NotRequester(RfqError):
    code = "NOT_REQUESTER"


class InvalidRfq(RfqError):
    code = "INVALID_RFQ"


class PreTradeRejected(RfqError):
    code = "PRE_TRADE_REJECTED"

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason

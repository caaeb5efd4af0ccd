"""Inputs of the RFQ commands and list filter."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from bff.workstation.rfq.types import RfqStatus, Side


@strawberry.input(description="A new RFQ; a retry with the same idempotencyKey returns the first")
class CreateRfqInput:
    instrument_id: strawberry.ID
    side: Side
    quantity: Decimal
    idempotency_key: str
    expiry_seconds: int = strawberry.field(default=30, description="How long LPs may quote")
    min_quantity: Decimal | None = None
    allow_partial: bool = False
    venue_id: strawberry.ID | None = None


@strawberry.input(description="Accept one quote of an RFQ")
class AcceptQuoteInput:
    rfq_id: strawberry.ID
    quote_id: strawberry.ID
    idempotency_key: str
    expected_version: int | None = strawberry.field(
        default=None, description="The RFQ version you saw; omitted: the current version"
    )


@strawberry.input(description="Cancel an open RFQ")
class CancelRfqInput:
    rfq_id: strawberry.ID
    idempotency_key: str
    reason: str = ""


@strawberry.input(description="Which RFQs to list (empty: all states, all instruments)")
class RfqFilter:
    statuses: list[RfqStatus] | None = None
    instrument_id: strawberry.ID | None = None

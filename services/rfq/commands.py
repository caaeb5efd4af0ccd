"""Commands of the RFQ service: imperative, immutable requests (and who sent them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from services.rfq.events import Side


@dataclass(frozen=True)
class Caller:
    """Who asks, for which tenant, under which correlation id (from the BFF's metadata)."""

    tenant_id: str
    user_id: str
    correlation_id: str
    causation_id: str = ""
    # Instruments the BFF says the user may trade ("*" = all); None = ask the service's hook.
    entitled_instruments: frozenset[str] | None = None


@dataclass(frozen=True)
class CreateRfq:
    idempotency_key: str
    instrument_id: str
    side: Side
    quantity: Decimal
    time_to_live: timedelta
    min_quantity: Decimal | None = None
    partial_allowed: bool = False
    venue_id: str | None = None


@dataclass(frozen=True)
class AcceptQuote:
    idempotency_key: str
    rfq_id: str
    quote_id: str
    expected_version: int


@dataclass(frozen=True)
class CancelRfq:
    idempotency_key: str
    rfq_id: str
    reason: str = ""

"""Admin reference-data writes (never retried: see RefDataClient.upsert_instrument)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from bff.admin.instruments.types import (
    Instrument,
    InstrumentInput,
    InstrumentSaved,
    InvalidInstrument,
    UpsertInstrumentResult,
)
from bff.auth import Permission, can
from bff.common.fields import mutation
from bff.common.types import NotEntitled
from bff.context import Info
from bff.grpc.errors import DownstreamInvalidArgument


def _invalid(data: InstrumentInput) -> InvalidInstrument | None:
    checks: list[tuple[bool, str, str]] = [
        (not str(data.id).strip(), "id", "must not be empty"),
        (not data.symbol.strip(), "symbol", "must not be empty"),
        (len(data.currency) != 3 or not data.currency.isalpha(), "currency", "ISO 4217 code"),
        (not data.tick_size.is_finite() or data.tick_size <= Decimal(0), "tickSize", "must be > 0"),
        (not data.lot_size.is_finite() or data.lot_size <= Decimal(0), "lotSize", "must be > 0"),
    ]
    for failed, name, message in checks:
        if failed:
            return InvalidInstrument(field=name, message=message)
    return None


@strawberry.type
class InstrumentMutations:
    @mutation("Create or replace an instrument of your tenant (needs admin:refdata)")
    async def upsert_instrument(self, info: Info, input: InstrumentInput) -> UpsertInstrumentResult:
        principal = info.context.require_principal()
        if not can(principal, Permission.MANAGE_REFDATA):
            return NotEntitled(message="admin:refdata permission required")
        if (invalid := _invalid(input)) is not None:
            return invalid
        try:
            stored = await info.context.downstreams.refdata.upsert_instrument(input.to_pb())
        except DownstreamInvalidArgument as exc:
            return InvalidInstrument(field="input", message=exc.detail)
        return InstrumentSaved(
            instrument=Instrument(id=strawberry.ID(stored.instrument_id)), version=stored.version
        )

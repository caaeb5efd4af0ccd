"""Instrument queries: one by id (union result) and the entitled list."""

from __future__ import annotations

import strawberry

from bff.common.fields import field
from bff.common.types import AssetClass, InstrumentNotFound, NotEntitled
from bff.context import Info
from bff.workstation.instruments.types import Instrument, InstrumentResult, entitled


@strawberry.type
class InstrumentQueries:
    @field(description="One instrument; a typed result when unknown or not entitled")
    async def instrument(self, info: Info, id: strawberry.ID) -> InstrumentResult:
        row = await info.context.loaders.instruments.load(str(id))
        if row is None:
            return InstrumentNotFound(instrument_id=id, message=f"no instrument {id}")
        if not entitled(info, row):
            return NotEntitled(message=f"not entitled to instrument {id}")
        return Instrument.from_pb(row)

    @field(description="Instruments of your tenant that you are entitled to")
    async def instruments(
        self, info: Info, asset_class: AssetClass | None = None
    ) -> list[Instrument]:
        code = asset_class.to_pb() if asset_class else 0
        rows = await info.context.downstreams.refdata.list_instruments(code)
        return [Instrument.from_pb(r) for r in rows if entitled(info, r)]

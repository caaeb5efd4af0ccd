"""Admin view of instruments: adds `venues` to the Instrument entity; upsert input and results."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry

from bff.common.types import AssetClass, NotEntitled
from bff.context import Info
from orion.refdata.v1 import refdata_pb2 as pb


@strawberry.enum(description="How a venue executes")
class ExecutionType(Enum):
    UNSPECIFIED = "UNSPECIFIED"
    RFQ = "RFQ"
    CLOB = "CLOB"


@strawberry.type(description="A trading venue of your tenant")
class Venue:
    id: strawberry.ID
    name: str
    execution_type: ExecutionType
    instrument_ids: list[str]

    @classmethod
    def from_pb(cls, row: pb.Venue) -> Venue:
        kind = pb.ExecutionType.Name(row.execution_type).removeprefix("EXECUTION_TYPE_")
        return cls(
            id=strawberry.ID(row.venue_id),
            name=row.name,
            execution_type=ExecutionType(kind),
            instrument_ids=list(row.instrument_ids),
        )


@strawberry.federation.type(keys=["id"], description="Instrument, as the admin subgraph sees it")
class Instrument:
    id: strawberry.ID

    @strawberry.field
    async def venues(self, info: Info) -> list[Venue]:
        """Venues listing this instrument (from reference data)."""
        rows = await info.context.downstreams.refdata.list_venues()
        return [Venue.from_pb(v) for v in rows if str(self.id) in v.instrument_ids]

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Instrument:
        info.context.require_principal()
        return cls(id=id)


@strawberry.input(description="An instrument to create or replace")
class InstrumentInput:
    id: strawberry.ID
    symbol: str
    asset_class: AssetClass
    currency: str
    tick_size: Decimal
    lot_size: Decimal
    tenor: str | None = None
    venue_ids: list[str] = strawberry.field(default_factory=list)

    def to_pb(self) -> pb.Instrument:
        return pb.Instrument(
            instrument_id=str(self.id),
            symbol=self.symbol,
            asset_class=self.asset_class.to_pb(),  # type: ignore[arg-type]
            currency=self.currency,
            tenor=self.tenor or "",
            tick_size=str(self.tick_size),
            lot_size=str(self.lot_size),
            venue_ids=self.venue_ids,
        )


@strawberry.type(description="The instrument was stored; version grows with every change")
class InstrumentSaved:
    instrument: Instrument
    version: int


@strawberry.type(description="The input was refused; `field` names the offending input field")
class InvalidInstrument:
    field: str
    message: str


UpsertInstrumentResult = Annotated[
    InstrumentSaved | InvalidInstrument | NotEntitled, strawberry.union("UpsertInstrumentResult")
]

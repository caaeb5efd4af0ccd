"""Instrument entity (owned by the workstation subgraph) and its query result union."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from bff.auth import NotEntitled as NotEntitledError
from bff.common.types import AssetClass, InstrumentNotFound, NotEntitled
from bff.context import Info
from orion.refdata.v1 import refdata_pb2 as pb


@strawberry.federation.type(keys=["id"], description="A tradable instrument (reference data)")
class Instrument:
    id: strawberry.ID
    symbol: str
    asset_class: AssetClass
    currency: str
    tenor: str | None
    tick_size: Decimal
    lot_size: Decimal
    venue_ids: list[str]
    version: int

    @classmethod
    def from_pb(cls, row: pb.Instrument) -> Instrument:
        return cls(
            id=strawberry.ID(row.instrument_id),
            symbol=row.symbol,
            asset_class=AssetClass.from_pb(row.asset_class),
            currency=row.currency,
            tenor=row.tenor or None,
            tick_size=Decimal(row.tick_size),
            lot_size=Decimal(row.lot_size),
            venue_ids=list(row.venue_ids),
            version=row.version,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Instrument | None:
        """Gateway entity lookup: None (null) when unknown; an error when not entitled."""
        principal = info.context.require_principal()
        row = await info.context.loaders.instruments.load(str(id))
        if row is None:
            return None
        principal.require_instrument(row.instrument_id, asset_class=_asset(row))
        return cls.from_pb(row)


def _asset(row: pb.Instrument) -> str:
    return AssetClass.from_pb(row.asset_class).value


def entitled(info: Info, row: pb.Instrument) -> bool:
    try:
        info.context.require_principal().require_instrument(
            row.instrument_id, asset_class=_asset(row)
        )
    except NotEntitledError:
        return False
    return True


InstrumentResult = Annotated[
    Instrument | InstrumentNotFound | NotEntitled, strawberry.union("InstrumentResult")
]

"""Types several subgraphs share (@shareable): typed failure results and enums."""

from __future__ import annotations

from enum import Enum

import strawberry

from orion.refdata.v1 import refdata_pb2 as pb


@strawberry.enum(description="Asset class of an instrument")
class AssetClass(Enum):
    UNSPECIFIED = "UNSPECIFIED"
    FX = "FX"
    RATES = "RATES"
    CREDIT = "CREDIT"
    EQUITY = "EQUITY"

    @classmethod
    def from_pb(cls, value: int) -> AssetClass:
        return cls(pb.AssetClass.Name(value).removeprefix("ASSET_CLASS_"))  # type: ignore[arg-type]

    def to_pb(self) -> int:
        return int(pb.AssetClass.Value(f"ASSET_CLASS_{self.value}"))


@strawberry.federation.type(shareable=True, description="The caller may not see or do this")
class NotEntitled:
    message: str


@strawberry.federation.type(shareable=True, description="No instrument with this id for you")
class InstrumentNotFound:
    instrument_id: strawberry.ID
    message: str

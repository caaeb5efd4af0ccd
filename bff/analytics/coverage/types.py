"""Reference-data coverage report: how many instruments per asset class your tenant has."""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from bff.common.types import AssetClass


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Instrument:
    """Stub of the workstation's Instrument: the gateway fills in its other fields."""

    id: strawberry.ID


@strawberry.type(description="Instrument count of one asset class")
class AssetClassCount:
    asset_class: AssetClass
    count: int


@strawberry.type(description="Coverage of your tenant's reference data")
class CoverageReport:
    tenant_id: strawberry.ID
    total: int
    by_asset_class: list[AssetClassCount]
    instruments: list[Instrument]

"""`coverage`: counts per asset class over the tenant's instruments (needs analytics:view)."""

from __future__ import annotations

from collections import Counter

import strawberry

from bff.analytics.coverage.types import AssetClassCount, CoverageReport, Instrument
from bff.auth import Permission, require
from bff.common.fields import field
from bff.common.types import AssetClass
from bff.context import Info


@strawberry.type
class CoverageQueries:
    @field("Instrument coverage of your tenant, by asset class")
    async def coverage(self, info: Info) -> CoverageReport:
        principal = info.context.require_principal()
        require(principal, Permission.VIEW_ANALYTICS)
        rows = await info.context.downstreams.refdata.list_instruments()
        counts = Counter(AssetClass.from_pb(r.asset_class) for r in rows)
        return CoverageReport(
            tenant_id=strawberry.ID(principal.tenant_id),
            total=len(rows),
            by_asset_class=[
                AssetClassCount(asset_class=a, count=n)
                for a, n in sorted(counts.items(), key=lambda kv: kv[0].value)
            ],
            instruments=[Instrument(id=strawberry.ID(r.instrument_id)) for r in rows],
        )

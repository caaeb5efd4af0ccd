"""Analytics subgraph: read-only reports over the platform's data."""

from __future__ import annotations

import strawberry

from bff.analytics.coverage.queries import CoverageQueries
from bff.extensions import extensions_for
from bff.schema_base import SubgraphSchema
from bff.settings import BffLimits

SUBGRAPH = "analytics"


@strawberry.type
class Query(CoverageQueries):
    pass


def build_schema(limits: BffLimits) -> SubgraphSchema:
    return SubgraphSchema(
        query=Query, extensions=extensions_for(SUBGRAPH, limits), federation_version="2.9"
    )

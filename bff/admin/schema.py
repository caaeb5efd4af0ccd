"""Admin subgraph: reference-data administration, tenant and user entities."""

from __future__ import annotations

import strawberry

from bff.admin.instruments.mutations import InstrumentMutations
from bff.admin.instruments.queries import VenueQueries
from bff.admin.instruments.types import Instrument
from bff.admin.tenants.queries import TenantQueries
from bff.admin.users.types import User
from bff.extensions import extensions_for
from bff.schema_base import SubgraphSchema
from bff.settings import BffLimits

SUBGRAPH = "admin"


@strawberry.type
class Query(VenueQueries, TenantQueries):
    pass


@strawberry.type
class Mutation(InstrumentMutations):
    pass


def build_schema(limits: BffLimits) -> SubgraphSchema:
    return SubgraphSchema(
        query=Query,
        mutation=Mutation,
        types=[Instrument, User],
        extensions=extensions_for(SUBGRAPH, limits),
        federation_version="2.9",
    )

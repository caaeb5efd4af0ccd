"""Workstation subgraph: instruments, the caller's profile, session stream; entity types."""

from __future__ import annotations

import strawberry

from bff.extensions import extensions_for
from bff.schema_base import SubgraphSchema
from bff.settings import BffLimits
from bff.workstation.instruments.queries import InstrumentQueries
from bff.workstation.me.queries import MeQueries
from bff.workstation.orders.types import Order
from bff.workstation.rfq.types import Rfq
from bff.workstation.session.subscriptions import SessionSubscriptions
from bff.workstation.trades.types import Trade

SUBGRAPH = "workstation"


@strawberry.type
class Query(InstrumentQueries, MeQueries):
    pass


@strawberry.type
class Subscription(SessionSubscriptions):
    pass


def build_schema(limits: BffLimits) -> SubgraphSchema:
    return SubgraphSchema(
        query=Query,
        subscription=Subscription,
        types=[Rfq, Trade, Order],
        extensions=extensions_for(SUBGRAPH, limits),
        federation_version="2.9",
    )

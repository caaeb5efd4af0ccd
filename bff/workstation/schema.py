"""Workstation subgraph: instruments, profile, market data, RFQ to trade, session stream."""

from __future__ import annotations

import strawberry

from bff.extensions import extensions_for
from bff.schema_base import SubgraphSchema
from bff.settings import BffLimits
from bff.workstation.blotter.subscriptions import BlotterSubscriptions
from bff.workstation.instruments.queries import InstrumentQueries
from bff.workstation.marketdata.resolvers import MarketDataQueries, MarketDataSubscriptions
from bff.workstation.me.queries import MeQueries
from bff.workstation.orders.types import Order
from bff.workstation.preferences.resolvers import PreferencesMutations, PreferencesQueries
from bff.workstation.preferences.types import PreferencesVersionConflict
from bff.workstation.rfq.mutations import RfqMutations
from bff.workstation.rfq.queries import RfqQueries
from bff.workstation.rfq.subscriptions import RfqSubscriptions
from bff.workstation.rfq.types import (
    InvalidInput,
    LimitBreached,
    QuoteExpired,
    Rfq,
    RfqNotFound,
    RfqNotOpen,
    VersionConflict,
)
from bff.workstation.session.subscriptions import SessionSubscriptions
from bff.workstation.trades.queries import TradeQueries
from bff.workstation.trades.types import Trade

SUBGRAPH = "workstation"


@strawberry.type
class Query(
    InstrumentQueries, MeQueries, MarketDataQueries, RfqQueries, TradeQueries, PreferencesQueries
):
    pass


@strawberry.type
class Mutation(RfqMutations, PreferencesMutations):
    pass


@strawberry.type
class Subscription(
    SessionSubscriptions, MarketDataSubscriptions, RfqSubscriptions, BlotterSubscriptions
):
    pass


ERRORS = [
    RfqNotFound,
    RfqNotOpen,
    QuoteExpired,
    VersionConflict,
    LimitBreached,
    InvalidInput,
    PreferencesVersionConflict,
]


def build_schema(limits: BffLimits) -> SubgraphSchema:
    return SubgraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Rfq, Trade, Order, *ERRORS],
        extensions=extensions_for(SUBGRAPH, limits),
        federation_version="2.9",
    )

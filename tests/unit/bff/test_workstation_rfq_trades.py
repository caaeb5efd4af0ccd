"""Workstation trade fields read the trade blotter read model, scoped to the caller's tenant."""

from __future__ import annotations

import orjson
import pytest

from bff.context import OrionContext
from bff.grpc.rfq_trades import MODEL, TradeBlotter
from eventbus.readmodel import MemoryReadModelStore
from tests.unit.bff.conftest import Executor
from tests.unit.bff.fakes import FakeRefData
from tests.unit.bff.tokens import Issuer


def _row(tenant: str, trade_id: str, executed: str, rfq_id: str = "rfq-1") -> bytes:
    return orjson.dumps(
        {
            "trade_id": trade_id,
            "tenant_id": tenant,
            "rfq_id": rfq_id,
            "quote_id": "q-1",
            "instrument_id": "FX.EURUSD",
            "side": "SIDE_SELL",
            "quantity": "1000000",
            "price": "1.1",
            "lp_id": "LP-A",
            "executed_at": executed,
            "correlation_id": f"corr-{trade_id}",
        }
    )


class TradeExecutor(Executor):
    def __init__(self, refdata: FakeRefData, issuer: Issuer) -> None:
        super().__init__(refdata, issuer)
        self.store = MemoryReadModelStore()

    async def context(self, subgraph: str, token: str | None) -> OrionContext:
        ctx = await super().context(subgraph, token)
        ctx.downstreams.trades = TradeBlotter(self.store)
        return ctx


@pytest.fixture
async def trades_gql(refdata: FakeRefData, issuer: Issuer) -> TradeExecutor:
    gql = TradeExecutor(refdata, issuer)
    await gql.store.apply(MODEL, "acme:t-1", 1, _row("acme", "t-1", "2026-11-24T01:00:00Z"))
    await gql.store.apply(MODEL, "acme:t-2", 1, _row("acme", "t-2", "2026-11-24T02:00:00Z", "r2"))
    await gql.store.apply(MODEL, "globex:t-9", 1, _row("globex", "t-9", "2026-11-24T03:00:00Z"))
    return gql


QUERY = """{
  trades { id side price quantity notional correlationId executedAt rfqId currency status lpName }
}"""


async def test_trades_are_the_tenants_newest_first_with_correlation(
    trades_gql: TradeExecutor,
) -> None:
    result = await trades_gql.run("workstation", QUERY, token=trades_gql.issuer.mint())
    assert result.errors is None
    trades = result.data["trades"]  # type: ignore[index]
    assert [t["id"] for t in trades] == ["t-2", "t-1"]
    assert trades[0]["correlationId"] == "corr-t-2"
    assert (trades[0]["side"], trades[0]["notional"]) == ("SELL", "1100000.0")
    assert (trades[0]["currency"], trades[0]["status"], trades[0]["lpName"]) == (
        "USD",
        "EXECUTED",
        "LP-A",
    )


async def test_trades_filter_by_rfq_and_trade_by_id(trades_gql: TradeExecutor) -> None:
    token = trades_gql.issuer.mint(roles=("ROLE_RISK",))
    query = '{ trades(rfqId: "r2") { id } trade(id: "t-1") { id } other: trade(id: "t-9") { id } }'
    result = await trades_gql.run("workstation", query, token=token)
    assert result.errors is None
    assert result.data == {"trades": [{"id": "t-2"}], "trade": {"id": "t-1"}, "other": None}


async def test_trade_entity_reference_reads_the_blotter(trades_gql: TradeExecutor) -> None:
    query = "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Trade { id price } } }"
    reps = [{"__typename": "Trade", "id": "t-1"}, {"__typename": "Trade", "id": "t-9"}]
    result = await trades_gql.run("workstation", query, {"r": reps}, token=trades_gql.issuer.mint())
    assert result.errors is None
    assert result.data == {"_entities": [{"id": "t-1", "price": "1.1"}, None]}


async def test_without_a_blotter_trades_is_a_typed_unavailable_error(gql: Executor) -> None:
    result = await gql.run("workstation", QUERY, token=gql.issuer.mint())
    assert result.errors is not None
    assert result.errors[0].extensions["code"] == "DOWNSTREAM_UNAVAILABLE"  # type: ignore[index]

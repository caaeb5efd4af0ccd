"""marketSnapshot / marketData merged into the workstation subgraph, over an installed hub."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bff.streaming.hub import MarketDataHub
from bff.streaming.model import HubTick
from bff.streaming.runtime import install
from tests.unit.bff.conftest import Executor

S = 1_000_000_000
SNAPSHOT = """
query ($ids: [ID!]!) {
  marketSnapshot(instrumentIds: $ids) {
    available unavailableReason missingInstrumentIds ticks { instrumentId bid ask sequence stale }
  }
}
"""
STREAM = """
subscription ($ids: [ID!]) {
  marketData(instrumentIds: $ids, maxRateHz: 10) {
    kind seq snapshotAvailable ticks { instrumentId bid sequence prevSequence }
  }
}
"""


def _tick(iid: str, seq: int, bid: str) -> HubTick:
    now = 1_000 * S
    return HubTick(iid, bid, "9.9", "5.5", seq, now, now, 0, False)


@pytest.fixture
def hub() -> Iterator[MarketDataHub]:
    hub = MarketDataHub(now_ns=lambda: 1_000 * S)
    install(hub)
    yield hub
    install(None)


async def test_market_snapshot_returns_latest_ticks_and_names_missing_ones(
    gql: Executor, hub: MarketDataHub
) -> None:
    hub.on_tick(_tick("FX.EURUSD", 3, "1.1"))
    token = gql.issuer.mint(roles=("ROLE_ANALYST",))
    result = await gql.run("workstation", SNAPSHOT, {"ids": ["FX.EURUSD", "FX.NOPE"]}, token=token)
    assert result.errors is None
    snap = result.data["marketSnapshot"]  # type: ignore[index]
    assert snap["available"] is True
    assert snap["ticks"] == [
        {"instrumentId": "FX.EURUSD", "bid": "1.1", "ask": "9.9", "sequence": 3, "stale": False}
    ]
    assert snap["missingInstrumentIds"] == ["FX.NOPE"]


async def test_market_data_sends_snapshot_then_increments(
    gql: Executor, hub: MarketDataHub
) -> None:
    hub.on_tick(_tick("FX.EURUSD", 1, "1.1"))
    ctx = await gql.context("workstation", gql.issuer.mint())
    stream: Any = await gql.schemas["workstation"].subscribe(
        STREAM, variable_values={"ids": ["FX.EURUSD"]}, context_value=ctx
    )
    first = await anext(stream)
    assert first.errors is None
    assert first.data["marketData"]["kind"] == "SNAPSHOT"
    assert first.data["marketData"]["ticks"][0]["sequence"] == 1
    hub.on_tick(_tick("FX.EURUSD", 2, "1.2"))
    hub.flush(10)
    second = await anext(stream)
    update = second.data["marketData"]
    assert (update["kind"], update["seq"]) == ("INCREMENT", first.data["marketData"]["seq"] + 1)
    assert update["ticks"] == [
        {"instrumentId": "FX.EURUSD", "bid": "1.2", "sequence": 2, "prevSequence": None}
    ]
    await stream.aclose()
    await hub.close()


async def test_without_a_hub_market_data_says_unavailable_explicitly(gql: Executor) -> None:
    install(None)
    result = await gql.run("workstation", SNAPSHOT, {"ids": ["FX.EURUSD"]}, token=gql.issuer.mint())
    assert result.errors is None
    snap = result.data["marketSnapshot"]  # type: ignore[index]
    assert snap["available"] is False
    assert snap["missingInstrumentIds"] == ["FX.EURUSD"]
    ctx = await gql.context("workstation", gql.issuer.mint())
    stream: Any = await gql.schemas["workstation"].subscribe(
        STREAM, variable_values={"ids": ["FX.EURUSD"]}, context_value=ctx
    )
    only = await anext(stream)
    assert only.data["marketData"]["snapshotAvailable"] is False
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_admin_may_not_read_prices(gql: Executor) -> None:
    token = gql.issuer.mint(roles=("ROLE_ADMIN",))
    result = await gql.run("workstation", SNAPSHOT, {"ids": ["FX.EURUSD"]}, token=token)
    assert result.errors
    assert result.errors[0].extensions["code"] == "FORBIDDEN"  # type: ignore[index]


async def test_prices_outside_asset_class_entitlements_are_withheld(
    gql: Executor, hub: MarketDataHub
) -> None:
    hub.on_tick(_tick("FX.EURUSD", 1, "1.1"))
    hub.on_tick(_tick("RATES.UST2Y", 1, "99.5"))
    ents = {"asset_classes": ["FX"], "instruments": ["*"], "venues": ["*"]}
    token = gql.issuer.mint(entitlements=ents)
    ids = ["FX.EURUSD", "RATES.UST2Y"]
    result = await gql.run("workstation", SNAPSHOT_ENT, {"ids": ids}, token=token)
    assert result.errors is None
    snap = result.data["marketSnapshot"]  # type: ignore[index]
    assert [t["instrumentId"] for t in snap["ticks"]] == ["FX.EURUSD"]
    assert snap["notEntitledInstrumentIds"] == ["RATES.UST2Y"]
    ctx = await gql.context("workstation", token)
    stream: Any = await gql.schemas["workstation"].subscribe(
        STREAM, variable_values={"ids": ["RATES.UST2Y"]}, context_value=ctx
    )
    refused = await anext(stream)
    assert refused.errors is not None
    assert refused.errors[0].extensions["code"] == "NOT_ENTITLED"
    await hub.close()


SNAPSHOT_ENT = """
query ($ids: [ID!]!) {
  marketSnapshot(instrumentIds: $ids) { ticks { instrumentId } notEntitledInstrumentIds }
}
"""

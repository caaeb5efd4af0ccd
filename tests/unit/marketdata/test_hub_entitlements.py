"""/graphql/stream applies the principal's role and asset-class entitlements like /graphql
(whose refusals tests/unit/bff/test_workstation_marketdata.py checks)."""

from __future__ import annotations

import time
from typing import Any

from bff.streaming.app import StreamingServer, bearer_authenticator
from bff.streaming.hub import MarketDataHub
from bff.streaming.model import HubTick
from tests.unit.bff.tokens import Issuer
from tests.unit.marketdata.wsutil import GqlWs, serve

_ISSUER = Issuer()  # RSA key generation is slow: one per module
QUERY = (
    "subscription($ids: [ID!]) "
    "{ marketData(instrumentIds: $ids) { kind seq ticks { instrumentId } } }"
)
FX_ONLY = {"asset_classes": ["FX"], "instruments": ["*"], "venues": ["*"]}


def _hub() -> MarketDataHub:
    hub = MarketDataHub()
    now = time.time_ns()
    for iid in ("FX.EURUSD", "RATES.UST10Y"):
        hub.on_tick(HubTick(iid, "1", "2", "1.5", 1, now, now))
    return hub


def _server(hub: MarketDataHub) -> StreamingServer:
    return StreamingServer(hub, bearer_authenticator(_ISSUER.validator()))


def _auth(token: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {token}"}


async def test_only_the_entitled_asset_classes_are_streamed() -> None:
    hub = _hub()
    token = _ISSUER.mint(entitlements=FX_ONLY)
    async with (
        serve(_server(hub).app()) as port,
        GqlWs.connect(f"ws://127.0.0.1:{port}/graphql/stream", _auth(token)) as client,
    ):
        await client.subscribe("md", QUERY, {"ids": ["FX.EURUSD", "RATES.UST10Y"]})
        message = await client.recv()
        assert message["type"] == "next", message
        ticks = message["payload"]["data"]["marketData"]["ticks"]
        assert [t["instrumentId"] for t in ticks] == ["FX.EURUSD"]


async def test_nothing_entitled_is_a_not_entitled_error_and_the_connection_stays_open() -> None:
    hub = _hub()
    token = _ISSUER.mint(entitlements=FX_ONLY)
    async with (
        serve(_server(hub).app()) as port,
        GqlWs.connect(f"ws://127.0.0.1:{port}/graphql/stream", _auth(token)) as client,
    ):
        await client.subscribe("rates", QUERY, {"ids": ["RATES.UST10Y"]})
        error = await client.recv()
        assert error["type"] == "error"
        assert error["id"] == "rates"
        assert error["payload"][0]["extensions"]["code"] == "NOT_ENTITLED"
        assert "RATES.UST10Y" in error["payload"][0]["message"]
        assert hub.queue_depths() == []
        await client.subscribe("fx", QUERY, {"ids": ["FX.EURUSD"]})
        assert (await client.recv())["type"] == "next"


async def test_a_role_without_the_price_permission_is_forbidden() -> None:
    token = _ISSUER.mint(roles=("ROLE_ADMIN",))  # admins manage users, they do not see prices
    async with (
        serve(_server(_hub()).app()) as port,
        GqlWs.connect(f"ws://127.0.0.1:{port}/graphql/stream", _auth(token)) as client,
    ):
        await client.subscribe("md", QUERY, {"ids": ["FX.EURUSD"]})
        error = await client.recv()
        assert error["type"] == "error"
        assert error["payload"][0]["extensions"]["code"] == "FORBIDDEN"

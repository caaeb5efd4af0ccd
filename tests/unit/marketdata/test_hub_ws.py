"""The hub's graphql-transport-ws endpoint next to the default Strawberry path, over 127.0.0.1."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bff.streaming.app import StreamingServer
from bff.streaming.hub import MarketDataHub
from bff.streaming.model import TICK_FIELDS, HubTick
from bff.streaming.ws import Admitted
from tests.unit.marketdata.wsutil import GqlWs, serve

QUERY = """subscription Md($ids: [ID!]) {
  marketData(instrumentIds: $ids, maxRateHz: 20) {
    kind seq snapshotAvailable ticks { instrumentId bid ask sequence stale __typename }
  }
}"""


def _tick(iid: str, seq: int, bid: str) -> HubTick:
    import time

    now = time.time_ns()
    return HubTick(iid, bid, "9.99", "5.5", seq, now, now)


async def _next(client: GqlWs, op_id: str) -> dict[str, Any]:
    message = await client.recv()
    assert message["type"] == "next", message
    assert message["id"] == op_id
    data: dict[str, Any] = message["payload"]["data"]["marketData"]
    return data


@pytest.mark.parametrize("path", ["/graphql/stream", "/graphql"])
async def test_snapshot_then_increments_are_identical_on_hub_and_default_paths(path: str) -> None:
    hub = MarketDataHub()
    hub.on_tick(_tick("FX.EURUSD", 1, "1.1"))
    async with (
        serve(StreamingServer(hub).app()) as port,
        GqlWs.connect(f"ws://127.0.0.1:{port}{path}") as client,
    ):
        await client.subscribe("op-1", QUERY, {"ids": ["FX.EURUSD", "FX.GBPUSD"]})
        snapshot = await _next(client, "op-1")
        assert snapshot == {
            "kind": "SNAPSHOT",
            "seq": 0,
            "snapshotAvailable": True,
            "ticks": [
                {
                    "instrumentId": "FX.EURUSD",
                    "bid": "1.1",
                    "ask": "9.99",
                    "sequence": 1,
                    "stale": False,
                    "__typename": "MarketTick",
                }
            ],
        }
        hub.on_tick(_tick("FX.GBPUSD", 1, "1.2"))
        hub.on_tick(_tick("FX.EURUSD", 2, "1.3"))
        increment = await _next(client, "op-1")
        assert increment["kind"] == "INCREMENT"
        assert increment["seq"] == 1
        assert [(t["instrumentId"], t["bid"]) for t in increment["ticks"]] == [
            ("FX.EURUSD", "1.3"),
            ("FX.GBPUSD", "1.2"),
        ]
        await client.send({"type": "complete", "id": "op-1"})
        for _ in range(50):
            if not hub.queue_depths():
                break
            await asyncio.sleep(0.02)
        assert hub.queue_depths() == []


async def test_hub_endpoint_rejects_unsupported_documents_with_a_graphql_error() -> None:
    hub = MarketDataHub()
    async with (
        serve(StreamingServer(hub).app()) as port,
        GqlWs.connect(f"ws://127.0.0.1:{port}/graphql/stream") as client,
    ):
        await client.subscribe("bad", 'subscription { marketData(watchlist: "G10") { nope } }')
        error = await client.recv()
        assert error["type"] == "error"
        assert "Cannot query field 'nope'" in error["payload"][0]["message"]
        await client.subscribe("ok", 'subscription { marketData(watchlist: "UST") { seq } }')
        assert await _next(client, "ok") == {"seq": 0}


async def test_hub_endpoint_refuses_a_connection_that_fails_authentication() -> None:
    async def deny(_: dict[str, Any]) -> Admitted | None:
        return None

    import websockets

    hub = MarketDataHub()
    async with serve(StreamingServer(hub, authenticator=deny).app()) as port:
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/graphql/stream",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        ) as ws:
            await ws.send('{"type":"connection_init","payload":{}}')
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403


FULL = (
    "subscription($ids: [ID!]) { marketData(instrumentIds: $ids) { __typename kind seq "
    "snapshotAvailable unavailableReason ticks { " + " ".join(TICK_FIELDS) + " __typename } } }"
)


async def test_every_field_serialises_identically_on_hub_and_strawberry_paths() -> None:
    hub = MarketDataHub()
    first = HubTick(
        "FX.EURUSD",
        "1.1",
        "1.2",
        "1.15",
        3,
        1_700_000_000_123_456_789,
        1_700_000_000_223_456_789,
        quality=9,
    )
    hub.on_tick(first)
    async with (
        serve(StreamingServer(hub).app()) as port,
        GqlWs.connect(f"ws://127.0.0.1:{port}/graphql/stream") as via_hub,
        GqlWs.connect(f"ws://127.0.0.1:{port}/graphql") as via_strawberry,
    ):
        for client in (via_hub, via_strawberry):
            await client.subscribe("x", FULL, {"ids": ["FX.EURUSD"]})
        snapshots = [await _next(c, "x") for c in (via_hub, via_strawberry)]
        hub.on_tick(
            HubTick(
                "FX.EURUSD",
                "1.3",
                "1.4",
                "1.35",
                4,
                1_700_000_001_000_000_000,
                1_700_000_001_000_000_000,
            )
        )
        increments = [await _next(c, "x") for c in (via_hub, via_strawberry)]
        hub.on_tick(
            HubTick(
                "FX.EURUSD",
                "1.5",
                "1.6",
                "1.55",
                5,
                1_700_000_002_000_000_000,
                1_700_000_002_000_000_000,
            )
        )
        seconds = [await _next(c, "x") for c in (via_hub, via_strawberry)]
    for pair in (snapshots, increments, seconds):
        assert pair[0] == pair[1]
    tick = snapshots[0]["ticks"][0]
    assert set(tick) == set(TICK_FIELDS) | {"__typename"}
    assert tick["ts"] == "2023-11-14T22:13:20.123456+00:00"
    assert (tick["quality"], tick["qualityFlags"], tick["bidSize"]) == ("DEGRADED", 9, None)
    assert increments[0]["ticks"][0]["prevSequence"] is None
    assert seconds[0]["ticks"][0]["prevSequence"] == 4


async def test_a_client_that_reconnects_resumes_with_a_fresh_snapshot_of_latest_values() -> None:
    hub = MarketDataHub()
    hub.on_tick(_tick("FX.EURUSD", 1, "1.1"))
    async with serve(StreamingServer(hub).app()) as port:
        url = f"ws://127.0.0.1:{port}/graphql/stream"
        async with GqlWs.connect(url) as client:
            await client.subscribe("1", QUERY, {"ids": ["FX.EURUSD"]})
            assert (await _next(client, "1"))["ticks"][0]["bid"] == "1.1"
        # Ticks keep arriving while the client is away.
        for seq in range(2, 6):
            hub.on_tick(_tick("FX.EURUSD", seq, f"1.{seq}"))
        async with GqlWs.connect(url) as client:
            await client.subscribe("1", QUERY, {"ids": ["FX.EURUSD"]})
            resumed = await _next(client, "1")
    assert resumed["kind"] == "SNAPSHOT"
    assert (resumed["ticks"][0]["bid"], resumed["ticks"][0]["sequence"]) == ("1.5", 5)

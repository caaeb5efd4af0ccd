"""graphql-transport-ws sessions against the served BFF: auth, limits, pings, idle, shutdown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bff.app import BffConfig
from bff.settings import BffLimits
from bff.testing import running_bff, running_refdata
from tests.unit.bff.tokens import Issuer

ISSUER = Issuer()
PROTOCOL: Any = "graphql-transport-ws"
BEATS = "subscription { heartbeat(intervalMs: 50, count: 3) { sequence correlationId } }"


@pytest.fixture
def limits() -> BffLimits:
    return BffLimits()


@pytest.fixture
async def ws_url(limits: BffLimits) -> AsyncIterator[str]:
    async with running_refdata() as (_, port):
        config = BffConfig(f"127.0.0.1:{port}", limits=limits, validator=ISSUER.validator())
        async with running_bff(config) as url:
            yield url.replace("http://", "ws://") + "/graphql/workstation"


async def _recv(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return message


async def _open(url: str, token: str | None, **headers: str) -> ClientConnection:
    ws = await connect(url, subprotocols=[PROTOCOL], additional_headers=headers)
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    return ws


async def _closed_code(ws: ClientConnection, *, pong: bool = False) -> int | None:
    """Read until the server closes (answering pings if asked); fail if it never does."""
    try:
        for _ in range(100):
            if (await _recv(ws))["type"] == "ping" and pong:
                await ws.send(json.dumps({"type": "pong"}))
    except ConnectionClosed:
        return ws.close_code
    raise AssertionError("the server did not close the session")


async def test_subscription_streams_beats_then_completes(ws_url: str) -> None:
    ws = await _open(ws_url, ISSUER.mint(), **{"X-Correlation-Id": "corr-ws-1"})
    assert (await _recv(ws))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "s1", "type": "subscribe", "payload": {"query": BEATS}}))
    beats = [await _recv(ws) for _ in range(3)]
    assert [b["payload"]["data"]["heartbeat"]["sequence"] for b in beats] == [1, 2, 3]
    # The session's id from the upgrade request, qualified by the operation id.
    assert beats[0]["payload"]["data"]["heartbeat"]["correlationId"] == "corr-ws-1/s1"
    assert await _recv(ws) == {"id": "s1", "type": "complete"}
    await ws.close()


async def test_session_without_token_is_closed_with_4403(ws_url: str) -> None:
    ws = await _open(ws_url, None)
    assert await _closed_code(ws) == 4403


async def test_session_with_forged_token_is_closed_with_4403(ws_url: str) -> None:
    forged = Issuer().mint()  # signed by a key the BFF does not trust
    ws = await _open(ws_url, forged)
    assert await _closed_code(ws) == 4403


@pytest.mark.parametrize("limits", [BffLimits(max_subscriptions_per_connection=2)])
async def test_subscriptions_beyond_the_per_connection_limit_get_an_error(ws_url: str) -> None:
    ws = await _open(ws_url, ISSUER.mint())
    await _recv(ws)
    slow = "subscription { heartbeat(intervalMs: 60000) { sequence } }"
    for op_id in ("a", "b", "c"):
        await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": slow}}))
    seen = [await _recv(ws) for _ in range(3)]
    errors = [m for m in seen if m["type"] == "error"]
    assert len(errors) == 1
    assert errors[0]["id"] == "c"
    assert "limit" in errors[0]["payload"][0]["message"].lower()
    await ws.close()


@pytest.mark.parametrize("limits", [BffLimits(ping_interval_s=0.2, idle_timeout_s=5.0)])
async def test_server_pings_and_a_ponging_client_stays_connected(ws_url: str) -> None:
    ws = await _open(ws_url, ISSUER.mint())
    await _recv(ws)
    for _ in range(3):
        assert (await _recv(ws))["type"] == "ping"
        await ws.send(json.dumps({"type": "pong"}))
    await ws.close()


@pytest.mark.parametrize("limits", [BffLimits(ping_interval_s=10.0, idle_timeout_s=0.4)])
async def test_silent_client_is_closed_for_idleness_with_4000(ws_url: str) -> None:
    ws = await _open(ws_url, ISSUER.mint())
    await _recv(ws)
    assert await _closed_code(ws) == 4000


@pytest.mark.parametrize("limits", [BffLimits(ping_interval_s=0.1, max_lifetime_s=0.5)])
async def test_session_is_closed_at_max_lifetime_with_4001(ws_url: str) -> None:
    ws = await _open(ws_url, ISSUER.mint())
    await _recv(ws)
    assert await _closed_code(ws, pong=True) == 4001


async def test_oversized_ws_message_closes_with_1009(ws_url: str) -> None:
    ws = await _open(ws_url, ISSUER.mint())
    await _recv(ws)
    big = {"id": "x", "type": "subscribe", "payload": {"query": "#" + "x" * 200_000}}
    await ws.send(json.dumps(big))
    assert await _closed_code(ws) == 1009


async def test_shutdown_drains_sessions_with_service_restart_code() -> None:
    async with running_refdata() as (_, port):
        config = BffConfig(f"127.0.0.1:{port}", validator=ISSUER.validator())
        async with running_bff(config) as url:
            ws = await _open(url.replace("http", "ws") + "/graphql/workstation", ISSUER.mint())
            await _recv(ws)
    assert await _closed_code(ws) == 1012


@pytest.mark.parametrize("limits", [BffLimits(ping_interval_s=0.2)])
async def test_session_is_closed_when_its_token_expires_with_4002(ws_url: str) -> None:
    ws = await _open(ws_url, ISSUER.mint(ttl_s=1))
    assert (await _recv(ws))["type"] == "connection_ack"
    assert await _closed_code(ws, pong=True) == 4002

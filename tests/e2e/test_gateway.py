"""Through GraphQL Hive Gateway: one query spanning two subgraphs, one subscription over WS."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from websockets.asyncio.client import connect

from bff.app import BffConfig
from bff.testing import running_bff, running_refdata
from core.logging import correlation_id_var
from infra.gateway import GATEWAY_DIR, ensure_installed
from services.refdata.store import seed_instruments
from tests.unit.bff.tokens import Issuer

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]
ISSUER = Issuer()
START_TIMEOUT_S = 60.0
SPANNING = """
query Spanning {
  instrument(id: "FX.EURUSD") {
    ... on Instrument { symbol tickSize venues { id executionType } }
  }
  coverage { total instruments { id symbol } }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client, asyncio.timeout(START_TIMEOUT_S):
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"hive-gateway exited with {proc.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{url}/readiness")).status_code == 200:
                    return
            await asyncio.sleep(0.25)


@contextlib.asynccontextmanager
async def running_gateway(bff_url: str) -> AsyncIterator[str]:
    binary = ensure_installed()
    port = _free_port()
    env = {**os.environ, "ORION_BFF_URL": bff_url, "ORION_PROFILE": "embedded"}
    cmd = [str(binary), "supergraph", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        cmd, cwd=GATEWAY_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway() -> AsyncIterator[str]:
    async with running_refdata() as (_, port):
        config = BffConfig(f"127.0.0.1:{port}", validator=ISSUER.validator())
        async with running_bff(config) as bff_url, running_gateway(bff_url) as url:
            yield url


class RpcLog(logging.Handler):
    """The refdata service's per-call log records: (method, correlation id of the call)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.calls: list[tuple[str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "rpc":
            method = str(getattr(record, "method", "")).rsplit("/", 1)[-1]
            self.calls.append((method, correlation_id_var.get()))


@pytest.fixture
def rpc_log() -> Iterator[RpcLog]:
    handler = RpcLog()
    logger = logging.getLogger("services.refdata.rpc")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


def seed_instruments_of(tenant: str) -> list[str]:
    return [i.instrument_id for i in seed_instruments() if i.tenant_id == tenant]


async def test_query_spanning_workstation_admin_and_analytics(
    gateway: str, rpc_log: RpcLog
) -> None:
    token = ISSUER.mint(roles=("ROLE_ANALYST",), tenant="globex")
    headers = {"Authorization": f"Bearer {token}", "X-Correlation-Id": "corr-gw-1"}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{gateway}/graphql", json={"query": SPANNING}, headers=headers, timeout=10
        )
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    assert response.headers["x-correlation-id"] == "corr-gw-1"
    instrument = body["data"]["instrument"]
    assert instrument["symbol"] == "EUR/USD"  # workstation subgraph
    assert {v["id"] for v in instrument["venues"]} == {"RFQ-1", "CLOB-1"}  # admin subgraph
    coverage = body["data"]["coverage"]  # analytics, with symbols filled in by workstation
    assert coverage["total"] == len(seed_instruments_of("globex"))
    assert {i["symbol"] for i in coverage["instruments"]} >= {"EUR/USD", "UST10Y"}
    # Every subgraph's downstream call ran under the client's correlation id.
    methods = {m for m, corr in rpc_log.calls if corr == "corr-gw-1"}
    assert {"BatchGetInstruments", "ListVenues", "ListInstruments"} <= methods, rpc_log.calls


async def test_unauthenticated_query_through_gateway_is_a_graphql_error(gateway: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{gateway}/graphql", json={"query": SPANNING}, timeout=10)
    body = response.json()
    assert response.status_code == 200
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_subscription_through_gateway_over_graphql_transport_ws(gateway: str) -> None:
    token = ISSUER.mint()
    ws_url = gateway.replace("http://", "ws://") + "/graphql"
    protocol: Any = "graphql-transport-ws"
    async with connect(ws_url, subprotocols=[protocol]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        query = "subscription { heartbeat(intervalMs: 50, count: 3) { sequence } }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        messages = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(4)]
    data = [m["payload"]["data"]["heartbeat"]["sequence"] for m in messages if m["type"] == "next"]
    assert data == [1, 2, 3], messages
    assert messages[-1]["type"] == "complete"

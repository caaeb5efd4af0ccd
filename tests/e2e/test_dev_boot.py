"""`orion dev` boots the embedded platform as a user would: every component healthy, a login at
the built-in identity provider opens the GraphQL API, prices tick, an RFQ trades."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import grpc
import httpx
import orjson
import pytest
import websockets
from grpc import aio

from orion.rfq.v1 import rfq_pb2
from orion.rfq.v1 import rfq_service_pb2 as pb
from orion.rfq.v1 import rfq_service_pb2_grpc as pb_grpc

pytestmark = pytest.mark.e2e
BOOT_TIMEOUT_S = 60.0
COMPONENTS = {
    "database",
    "eventbus",
    "outbox-relay",
    "identity",
    "refdata",
    "marketdata",
    "rfq",
    "execution",
    "lp-bots",
    "read-models",
    "streaming",
    "audit",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Booted:
    base: str
    home: Path
    rfq_addr: str
    proc: subprocess.Popen[bytes]


def _boot(tmp: Path, extra: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`orion dev` on a free port with its own ORION_HOME; output goes to tmp/dev.log."""
    port = _free_port()
    env = {
        **os.environ,
        "ORION_HOME": str(tmp / "home"),
        "ORION_PROFILE": "embedded",
        "ORION_HTTP_PORT": str(port),
        # Internal gRPC ports: free ones, so parallel runs and a running `orion up` never clash.
        "ORION_REFDATA_ADDR": "127.0.0.1:0",
        "ORION_MARKETDATA_ADDR": "127.0.0.1:0",
        "ORION_IDENTITY_ADMIN_GRPC_PORT": "0",
        **(extra or {}),
    }
    for override in (
        "ORION_KAFKA_BOOTSTRAP",
        "ORION_DATABASE_URL",
        "ORION_REDIS_URL",
        "ORION_IDENTITY_ISSUER",
        "ORION_AUTH_ISSUER",
    ):
        env.pop(override, None)
    log = (tmp / "dev.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli.entry", "dev"], env=env, stdout=log, stderr=log
    )
    log.close()
    return proc, f"http://127.0.0.1:{port}"


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def embedded_platform(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    proc, base = _boot(tmp_path)
    try:
        yield base, proc
    finally:
        _terminate(proc)


@pytest.fixture(scope="module")
def booted(tmp_path_factory: pytest.TempPathFactory, workstation_dist: Path) -> Iterator[Booted]:
    """One platform for the read-only journeys below (booting costs ~10-20 s on 2 cores); the UI
    is built first so the platform serves it at `/` as it does for a user."""
    tmp = tmp_path_factory.mktemp("dev")
    rfq_addr = f"127.0.0.1:{_free_port()}"
    proc, base = _boot(tmp, {"ORION_RFQ_ADDR": rfq_addr})
    try:
        _wait_for_health(base, proc)
        yield Booted(base, tmp / "home", rfq_addr, proc)
    finally:
        _terminate(proc)


def _wait_for_health(base: str, proc: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, "orion dev exited during boot"
        try:
            return httpx.get(f"{base}/healthz", timeout=2.0)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"/healthz did not answer within {BOOT_TIMEOUT_S}s")


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _login(base: str, username: str, password: str) -> str:
    """The workstation's login: authorization code + PKCE at the built-in provider, by HTTP."""
    verifier, challenge = _pkce()
    redirect_uri = f"{base}/"
    query = urlencode(
        {
            "response_type": "code",
            "client_id": "orion-workstation",
            "redirect_uri": redirect_uri,
            "scope": "openid profile orion",
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    with httpx.Client(base_url=base, timeout=10.0) as client:
        page = client.get(f"/identity/authorize?{query}")
        assert page.status_code == 200, page.text
        found = re.findall(r'name="(return_to|csrf)" value="([^"]*)"', page.text)
        fields = {name: html.unescape(value) for name, value in found}
        login = client.post(
            "/identity/login", data={**fields, "username": username, "password": password}
        )
        assert login.status_code == 303, login.text
        back = client.get(login.headers["location"])
        assert back.status_code == 302, back.text
        location = back.headers["location"]
        assert location.startswith(redirect_uri)
        code = parse_qs(urlsplit(location).query)["code"][0]
        token = client.post(
            "/identity/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": "orion-workstation",
                "code_verifier": verifier,
            },
        )
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


def _graphql(base: str, token: str, query: str) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/graphql/workstation",
        json={"query": query},
        headers={"authorization": f"Bearer {token}"},
        timeout=10.0,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    return body


def test_orion_dev_serves_healthz_with_every_component_healthy(
    embedded_platform: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, proc = embedded_platform
    response = _wait_for_health(base, proc)
    assert response.status_code == 200
    body = response.json()
    assert body["components"], "healthz must list the platform's components"
    unhealthy = {n: c for n, c in body["components"].items() if not c["healthy"]}
    assert unhealthy == {}
    assert body["status"] == "ok"


def test_every_platform_component_reports_healthy(booted: Booted) -> None:
    body = httpx.get(f"{booted.base}/healthz", timeout=5.0).json()
    assert set(body["components"]) >= COMPONENTS, body
    assert {n for n, c in body["components"].items() if not c["healthy"]} == set(), body
    assert httpx.get(f"{booted.base}/readyz", timeout=5.0).status_code == 200


def test_a_login_at_the_built_in_provider_opens_the_workstation_graphql(booted: Booted) -> None:
    token = _login(booted.base, "trader@acme", "trader-demo")
    body = _graphql(booted.base, token, "{ me { tenantId roles } instruments { id } }")
    assert body["data"]["me"] == {"tenantId": "acme", "roles": ["ROLE_TRADER"]}
    assert body["data"]["instruments"], "the trader sees reference data through refdata gRPC"


def test_graphql_without_a_token_is_refused(booted: Booted) -> None:
    response = httpx.post(
        f"{booted.base}/graphql/workstation", json={"query": "{ me { tenantId } }"}, timeout=5.0
    )
    body = response.json()
    assert body.get("data") is None or body["data"].get("me") is None
    assert body.get("errors"), body


def test_the_workstation_is_served_with_cache_headers(booted: Booted) -> None:
    index = httpx.get(f"{booted.base}/", timeout=5.0)
    assert index.status_code == 200, index.text[:300]
    assert index.headers["cache-control"] == "no-cache"
    asset = re.search(r'(?:src|href)="(?:\./|/)?(assets/[^"]+)"', index.text)
    assert asset is not None, index.text[:300]
    cached = httpx.get(f"{booted.base}/{asset.group(1)}", timeout=5.0)
    assert cached.status_code == 200
    assert "immutable" in cached.headers["cache-control"]
    discovery = httpx.get(f"{booted.base}/identity/.well-known/openid-configuration", timeout=5.0)
    assert discovery.json()["issuer"] == f"{booted.base}/identity"
    ui = httpx.get(f"{booted.base}/ui-config.json", timeout=5.0).json()
    assert ui["oidcIssuer"] == f"{booted.base}/identity"
    nested = httpx.get(f"{booted.base}/auth/callback", timeout=5.0)
    assert nested.status_code == 200
    assert nested.text == index.text  # client-side routes get the app


async def test_market_data_ticks_reach_a_subscriber(booted: Booted) -> None:
    token = await asyncio.to_thread(_login, booted.base, "trader@acme", "trader-demo")
    url = booted.base.replace("http://", "ws://") + "/graphql/stream"
    query = (
        'subscription { marketData(instrumentIds: ["FX.EURUSD", "FX.GBPUSD"]) '
        "{ kind seq ticks { instrumentId bid ask sequence } } }"
    )
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            orjson.dumps({"type": "connection_init", "payload": {"authToken": token}}).decode()
        )
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            orjson.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}).decode()
        )
        sequences: dict[str, set[int]] = {}
        async with asyncio.timeout(20):
            while sum(len(s) for s in sequences.values()) < 4:
                message = orjson.loads(await ws.recv())
                assert message["type"] == "next", message
                for tick in message["payload"]["data"]["marketData"]["ticks"]:
                    assert float(tick["bid"]) < float(tick["ask"])
                    sequences.setdefault(tick["instrumentId"], set()).add(tick["sequence"])
    assert set(sequences) == {"FX.EURUSD", "FX.GBPUSD"}
    snapshot = _graphql(
        booted.base,
        token,
        '{ marketSnapshot(instrumentIds: ["FX.EURUSD"]) { available ticks { instrumentId bid } } }',
    )["data"]["marketSnapshot"]
    assert snapshot["available"] is True
    assert [t["instrumentId"] for t in snapshot["ticks"]] == ["FX.EURUSD"]


async def _poll(client: pb_grpc.RfqServiceAsyncStub, rfq_id: str, done: Any) -> rfq_pb2.Rfq:
    meta = (("x-tenant-id", "acme"), ("x-user-id", "u-acme-trader"))
    rfq = rfq_pb2.Rfq()
    async with asyncio.timeout(20):
        while True:
            rfq = (await client.GetRfq(pb.GetRfqRequest(rfq_id=rfq_id), metadata=meta)).rfq
            if done(rfq):
                return rfq
            await asyncio.sleep(0.1)


async def _accept_firm_quote(
    client: pb_grpc.RfqServiceAsyncStub, quoted: rfq_pb2.Rfq, meta: tuple[tuple[str, str], ...]
) -> rfq_pb2.Quote:
    """Accept a quote without last look; a quote arriving meanwhile bumps the version, so a
    conflict re-reads and tries again (as the workstation does)."""
    for _ in range(10):
        firm = next(q for q in quoted.quotes if not q.last_look)
        accept = pb.AcceptQuoteRequest(
            idempotency_key=f"a-{uuid.uuid4().hex}",
            rfq_id=quoted.rfq_id,
            quote_id=firm.quote_id,
            expected_version=quoted.version,
        )
        try:
            await client.AcceptQuote(accept, metadata=meta)
            return firm
        except grpc.aio.AioRpcError as exc:
            if exc.code() is not grpc.StatusCode.ABORTED:
                raise
        request = pb.GetRfqRequest(rfq_id=quoted.rfq_id)
        quoted = (await client.GetRfq(request, metadata=meta)).rfq
    raise AssertionError(f"RFQ {quoted.rfq_id}: acceptance kept conflicting")


async def rfq_trades(rfq_addr: str) -> rfq_pb2.Rfq:
    """Create an RFQ, wait for LP quotes, accept a firm one, wait for the trade."""
    meta = (("x-tenant-id", "acme"), ("x-user-id", "u-acme-trader"), ("x-correlation-id", "e2e"))
    async with aio.insecure_channel(rfq_addr) as channel:
        client = pb_grpc.RfqServiceStub(channel)
        create = pb.CreateRfqRequest(
            idempotency_key=f"e2e-{uuid.uuid4().hex}",
            instrument_id="FX.EURUSD",
            side=rfq_pb2.SIDE_BUY,
            quantity="1000000",
            expires_in_ms=20_000,
        )
        rfq = (await client.CreateRfq(create, metadata=meta)).rfq
        quoted = await _poll(client, rfq.rfq_id, lambda r: len(r.quotes) >= 3)
        firm = await _accept_firm_quote(client, quoted, meta)
        traded = await _poll(client, rfq.rfq_id, lambda r: r.state == rfq_pb2.RFQ_STATE_TRADED)
    assert traded.accepted_quote_id == firm.quote_id
    return traded


async def test_an_rfq_gets_lp_quotes_and_trades_inside_the_one_process(booted: Booted) -> None:
    # The workstation subgraph has no RFQ fields yet, so this drives the RFQ service through
    # the generated stub, exactly as the BFF will; quotes come from the in-process LP bots.
    traded = await rfq_trades(booted.rfq_addr)
    assert traded.trade_id


CREATE_RFQ = """mutation($input: CreateRfqInput!) { createRfq(input: $input) {
  __typename ... on Rfq { id correlationId } ... on OrionError { code message } } }"""
RFQ = """query($id: ID!) { rfq(id: $id) { id status version tradeId
  quotes { id lpId price lastLook live } } }"""
ACCEPT = """mutation($input: AcceptQuoteInput!) { acceptQuote(input: $input) {
  __typename ... on Rfq { id status } ... on OrionError { code message } } }"""
TRADES = "query($rfq: ID!) { trades(rfqId: $rfq) { id rfqId correlationId price quantity } }"


def _gql(
    base: str, token: str, query: str, variables: dict[str, Any], correlation: str = ""
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"}
    if correlation:
        headers["x-correlation-id"] = correlation
    response = httpx.post(
        f"{base}/graphql/workstation",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=10.0,
    )
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def _until(fetch: Any, done: Any, what: str) -> Any:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        value = fetch()
        if done(value):
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not reached within 20 s (last: {value})")


def test_an_rfq_sent_through_graphql_trades_and_shows_in_the_blotter(booted: Booted) -> None:
    graphql_rfq_trades(booted.base, _login(booted.base, "trader@acme", "trader-demo"))


def graphql_rfq_trades(base: str, token: str) -> dict[str, Any]:
    """createRfq -> LP quotes -> acceptQuote -> the trade in the blotter, all through GraphQL."""
    create = {
        "instrumentId": "FX.EURUSD",
        "side": "BUY",
        "quantity": "1000000",
        "idempotencyKey": f"gql-{uuid.uuid4().hex}",
        "expirySeconds": 20,
    }
    journey = f"e2e-{uuid.uuid4().hex}"  # one client correlation id across the whole flow
    created = _gql(base, token, CREATE_RFQ, {"input": create}, journey)["createRfq"]
    assert created["__typename"] == "Rfq", created
    rfq_id = created["id"]
    accepted: dict[str, Any] = {}
    for _ in range(10):  # a quote landing between read and accept bumps the version: re-read
        rfq = _until(
            lambda: _gql(base, token, RFQ, {"id": rfq_id})["rfq"],
            lambda r: len(r["quotes"]) >= 3,
            "LP quotes",
        )
        firm = next(q for q in rfq["quotes"] if q["live"] and not q["lastLook"])
        accept = {
            "rfqId": rfq_id,
            "quoteId": firm["id"],
            "idempotencyKey": f"acc-{uuid.uuid4().hex}",
            "expectedVersion": rfq["version"],
        }
        accepted = _gql(base, token, ACCEPT, {"input": accept}, journey)["acceptQuote"]
        if accepted["__typename"] != "VersionConflict":
            break
    assert accepted["__typename"] == "Rfq", accepted
    trades = _until(
        lambda: _gql(base, token, TRADES, {"rfq": rfq_id})["trades"],
        lambda t: len(t) == 1,
        "trade in the blotter",
    )
    assert trades[0]["rfqId"] == rfq_id
    assert trades[0]["correlationId"] == created["correlationId"] == journey
    trade: dict[str, Any] = trades[0]
    return trade


def test_orion_dev_stops_cleanly_on_sigterm(
    embedded_platform: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    base, proc = embedded_platform
    _wait_for_health(base, proc)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
    assert time.monotonic() - started < 15, "shutdown must be prompt"
    log = (tmp_path / "dev.log").read_text()
    assert "Finished server process" in log
    assert "orion dev stopped" in log  # components stopped after the HTTP server
    assert "Traceback" not in log

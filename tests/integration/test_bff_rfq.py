"""createRfq -> LP quotes -> acceptQuote -> trade through the BFF's GraphQL, on real servers.

Kafka, PostgreSQL and Redis are the shared real ones; the RFQ gRPC service, refdata and the BFF
run in-process on free ports. The client's X-Correlation-Id shows on the RFQ and the trade.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

import eventbus.consumer  # noqa: F401  (processed_events table)
import services.execution.event_specs
import services.rfq.event_specs  # noqa: F401
from bff.app import BffConfig
from bff.grpc.rfq_feed import RfqChangeFeed
from bff.testing import running_bff, running_refdata
from core.db import Database, create_database, utc_now
from eventbus.consumer import ConsumerRunner, ConsumerSpec
from eventbus.kafka import KafkaBus
from eventbus.readmodel import RedisReadModelStore
from eventbus.relay import OutboxRelay
from eventbus.topics import TOPICS, topic_name
from orion.refdata.v1 import refdata_pb2
from services.execution.handlers import consumer_spec as execution_consumer
from services.execution.projections import project as project_trade
from services.lp_bots.bot import LpBot
from services.lp_bots.profiles import default_lps, static_mids
from services.lp_bots.runner import LpBotService
from services.refdata.store import RefDataStore, seed_venues
from services.rfq.consumers import consumer_spec as rfq_consumer
from services.rfq.handlers import RfqDeps
from services.rfq.risk import RateLimiter, RiskLimits
from services.rfq.routing import LpProfile, Router
from services.rfq.server import start_server
from tests.unit.bff.tokens import Issuer

pytestmark = pytest.mark.integration
TEST_DB = "orion_it_bff_rfq"
TOPIC_NAMES = ("rfq.lifecycle.v1", "rfq.quotes.v1", "execution.trades.v1")
INSTRUMENT = "FX.EURUSD"
ISSUER = Issuer()
WAIT_S = 30.0

CREATE = """
mutation ($input: CreateRfqInput!) {
  createRfq(input: $input) {
    __typename
    ... on Rfq { id status correlationId requesterId }
    ... on NotEntitled { message }
    ... on OrionError { code message }
  }
}"""
RFQ = (
    "query ($id: ID!) { rfq(id: $id) { status version tradeId correlationId quotes { id rank } } }"
)
ACCEPT = """
mutation ($input: AcceptQuoteInput!) {
  acceptQuote(input: $input) {
    __typename
    ... on Rfq { status acceptedQuoteId correlationId }
    ... on OrionError { code message }
  }
}"""
AUDIT = "query ($id: ID!) { rfq(id: $id) { audit { event correlationId entityId } } }"
TRADES = """
query ($rfq: ID!) {
  trades(rfqId: $rfq) { id rfqId quoteId instrumentId side quantity price correlationId }
}"""


def _refdata(tenant: str) -> RefDataStore:
    row = refdata_pb2.Instrument(
        instrument_id=INSTRUMENT,
        tenant_id=tenant,
        symbol="EUR/USD",
        asset_class=refdata_pb2.ASSET_CLASS_FX,
        currency="USD",
        tick_size="0.00001",
        lot_size="1000000",
        venue_ids=["RFQ-1"],
    )
    return RefDataStore([row], seed_venues([row]))


@dataclass
class Stack:
    url: str
    tenant: str
    feed: RfqChangeFeed | None = None


def _tasks(env: str, db: Database, bus: KafkaBus, deps: RfqDeps, redis_url: str) -> list[Any]:
    lps = LpBotService(
        [LpBot(c) for c in default_lps()],
        bus,
        env=env,
        mids=static_mids(),
        clock=utc_now,
        group=f"lp-bots-{env}",
        start_from="earliest",
    )
    blotter = ConsumerSpec(
        name=f"rm-trade-blotter-{env}",
        topics=[topic_name("execution.trades.v1", env)],
        projector=project_trade,
    )
    store = RedisReadModelStore.from_url(redis_url)
    runners = [
        ConsumerRunner(rfq_consumer(deps, group=f"rfq-service-{env}"), bus, env=env, db=db),
        ConsumerRunner(
            execution_consumer(env, utc_now, group=f"execution-{env}"), bus, env=env, db=db
        ),
        ConsumerRunner(blotter, bus, env=env, store=store),
    ]
    return [OutboxRelay(db, bus, poll_interval_s=0.05), lps, *runners, store]


@pytest.fixture(params=["polled", "pushed"])
async def stack(
    request: pytest.FixtureRequest, kafka_bootstrap: str, database_url: str, redis_url: str
) -> AsyncIterator[Stack]:
    # A database of its own, so other tests' outbox rows and relays never mix with ours.
    await create_database(database_url, TEST_DB, exist_ok=True)
    env = f"it{uuid.uuid4().hex[:8]}"
    tenant = f"t-{env}"
    bus = KafkaBus(kafka_bootstrap, client_id=f"bff-rfq-{env}")
    await bus.start()
    await bus.ensure_topics([TOPICS[name].spec(env) for name in TOPIC_NAMES])
    db = Database.from_url(database_url.rsplit("/", 1)[0] + f"/{TEST_DB}", pool_size=5)
    await db.create_all()
    deps = RfqDeps(
        db=db,
        env=env,
        clock=utc_now,
        router=Router(tuple(LpProfile(c.lp_id) for c in default_lps())),
        limiter=RateLimiter(RiskLimits(Decimal("1e9"), 1000.0, 1000.0)),
        entitlements=lambda _t, _u: set(),  # only the BFF's x-entitled-instruments entitles
        mids=static_mids(),
    )
    relay, lps, *runners, store = _tasks(env, db, bus, deps, redis_url)
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(relay.run(stop)),
        asyncio.create_task(lps.run(stop, poll_timeout_ms=100)),
        *(asyncio.create_task(r.run(stop, poll_timeout_ms=100)) for r in runners),
    ]
    rfq_server, rfq_port = await start_server(deps, "127.0.0.1", 0)
    feed = None
    if request.param == "pushed":
        feed = RfqChangeFeed(KafkaBus(kafka_bootstrap, client_id=f"bff-feed-{env}"), env)
    try:
        async with running_refdata(store=_refdata(tenant)) as (_, refdata_port):
            config = BffConfig(
                f"127.0.0.1:{refdata_port}",
                validator=ISSUER.validator(),
                tracing=False,
                rfq_addr=f"127.0.0.1:{rfq_port}",
                # pushed: rfqUpdates woken by the lifecycle topic; polled: no feed (embedded).
                rfq_changes=feed,
                read_models_url=redis_url,
                audit_database_url=database_url.rsplit("/", 1)[0] + f"/{TEST_DB}",
            )
            async with running_bff(config) as url:
                yield Stack(url, tenant, feed)
    finally:
        await rfq_server.stop(0.5)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=30)
        await _drop_rows(redis_url, tenant)
        await store.close()
        await bus.stop()
        await db.dispose()


async def _drop_rows(redis_url: str, tenant: str) -> None:
    """The shared Redis keeps nothing of this test's tenant."""
    client = Redis.from_url(redis_url)
    try:
        names = [n async for n in client.scan_iter(match=f"orion:rm:*:{tenant}:*", count=1000)]
        if names:
            await client.unlink(*names)
    finally:
        await client.aclose()


async def eventually(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if (result := await check()) is not None:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {WAIT_S}s waiting for {what}")


class Client:
    def __init__(self, http: httpx.AsyncClient, tenant: str, correlation: str) -> None:
        self.http = http
        token = ISSUER.mint(tenant=tenant, sub="alice")
        self.headers = {"Authorization": f"Bearer {token}", "X-Correlation-Id": correlation}

    async def gql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = {"query": query, "variables": variables}
        response = await self.http.post("/graphql/workstation", json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert "errors" not in payload, payload["errors"]
        data: dict[str, Any] = payload["data"]
        return data


class Streams:
    """rfqUpdates and blotterUpdates over one graphql-transport-ws session, read in background."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, base: str, tenant: str, rfq_id: str) -> Streams:
        url = base.replace("http://", "ws://") + "/graphql/workstation"
        ws = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        token = ISSUER.mint(tenant=tenant, sub="alice")
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        live = "subscription ($id: ID!) { rfqUpdates(rfqId: $id) { rfq { status tradeId } } }"
        blotter = "subscription { blotterUpdates(intervalMs: 250) { kind trade { id } } }"
        for op, query, variables in (("u", live, {"id": rfq_id}), ("b", blotter, {})):
            payload = {"query": query, "variables": variables}
            await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))
        streams = cls(ws)
        streams.task = asyncio.create_task(streams._read())
        return streams

    async def _read(self) -> None:
        async for raw in self.ws:
            self.messages.append(json.loads(raw))

    def of(self, op: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("id") == op]

    async def close(self) -> None:
        await self.ws.close()
        if self.task is not None:
            await asyncio.wait_for(self.task, 5)


async def _accept_best(client: Client, rfq_id: str) -> dict[str, Any]:
    """A late quote may move the version between our read and the accept: retry a few times."""
    for attempt in range(5):
        rfq = (await client.gql(RFQ, {"id": rfq_id}))["rfq"]
        best = next(q for q in rfq["quotes"] if q["rank"] == 1)
        data = {"rfqId": rfq_id, "quoteId": best["id"], "idempotencyKey": f"accept-{attempt}"}
        result = (await client.gql(ACCEPT, {"input": data}))["acceptQuote"]
        if result["__typename"] != "VersionConflict":
            return dict(result)
    raise AssertionError("acceptance kept losing the version race")


async def test_rfq_to_trade_through_graphql_keeps_the_clients_correlation_id(
    stack: Stack,
) -> None:
    correlation = f"it-bff-rfq-{uuid.uuid4().hex[:12]}"
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        client = Client(http, stack.tenant, correlation)
        data = {
            "instrumentId": INSTRUMENT,
            "side": "BUY",
            "quantity": "1000000",
            "expirySeconds": 30,
            "idempotencyKey": f"create-{correlation}",
        }
        created = (await client.gql(CREATE, {"input": data}))["createRfq"]
        assert created["__typename"] == "Rfq", created
        assert (created["status"], created["correlationId"]) == ("SENT", correlation)
        rfq_id = created["id"]
        streams = await Streams.open(stack.url, stack.tenant, rfq_id)

        async def quoted() -> Any:
            rfq = (await client.gql(RFQ, {"id": rfq_id}))["rfq"]
            return rfq if len(rfq["quotes"]) >= 3 else None

        await eventually(quoted, "quotes from at least 3 LPs")
        accepted = await _accept_best(client, rfq_id)
        assert accepted["__typename"] == "Rfq", accepted
        assert accepted["correlationId"] == correlation

        async def traded() -> Any:
            trades = (await client.gql(TRADES, {"rfq": rfq_id}))["trades"]
            return trades or None

        trades = await eventually(traded, "the trade in the blotter read model")
        assert len(trades) == 1
        trade = trades[0]
        assert (trade["rfqId"], trade["quoteId"]) == (rfq_id, accepted["acceptedQuoteId"])
        assert (trade["instrumentId"], trade["side"]) == (INSTRUMENT, "BUY")
        assert trade["correlationId"] == correlation

        async def final() -> Any:
            rfq = (await client.gql(RFQ, {"id": rfq_id}))["rfq"]
            return rfq if rfq["status"] == "TRADED" else None

        rfq = await eventually(final, "the RFQ to reach TRADED")
        assert rfq["tradeId"] == trade["id"]
        audit = (await client.gql(AUDIT, {"id": rfq_id}))["rfq"]["audit"]
        events = [a["event"] for a in audit]
        assert "RfqCreated" in events, events
        assert {a["correlationId"] for a in audit} == {correlation}

        async def streamed() -> Any:
            done = {"type": "complete", "id": "u"} in streams.of("u")
            trades = [m for m in streams.of("b") if m["type"] == "next"]
            kinds = [m["payload"]["data"]["blotterUpdates"]["kind"] for m in trades]
            return True if done and "TRADE" in kinds else None

        await eventually(streamed, "rfqUpdates to end TRADED and blotterUpdates to show the trade")
        await streams.close()
        updates = [m["payload"]["data"]["rfqUpdates"]["rfq"] for m in streams.of("u")[:-1]]
        assert updates[-1] == {"status": "TRADED", "tradeId": trade["id"]}
        if stack.feed is not None:  # the lifecycle facts woke the subscription
            assert stack.feed.woken > 0
            assert stack.feed.watching() == 0
        blotter = [m["payload"]["data"]["blotterUpdates"] for m in streams.of("b")]
        assert blotter[0]["kind"] == "READY"
        assert {"kind": "TRADE", "trade": {"id": trade["id"]}} in blotter

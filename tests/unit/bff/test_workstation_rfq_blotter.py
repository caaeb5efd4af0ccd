"""blotterUpdates: READY, then RFQ upserts as versions move, then the trade once it exists."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson

from bff.grpc.rfq import RfqClient
from bff.grpc.rfq_fake import FakeRfqService, fake_rfq_client
from bff.grpc.rfq_feed import RfqChangeFeed
from bff.grpc.rfq_trades import MODEL, TradeBlotter
from eventbus.bus import OutgoingRecord
from eventbus.embedded.bus import EmbeddedBus
from eventbus.readmodel import MemoryReadModelStore
from eventbus.topics import TOPICS, topic_name
from orion.rfq.v1 import rfq_pb2, rfq_service_pb2
from tests.unit.bff.conftest import Executor

SUB = """
subscription {
  blotterUpdates(intervalMs: 250) {
    kind serverTime rfq { id status version correlationId } trade { id rfqId correlationId }
  }
}"""


def _create(service: FakeRfqService, tenant: str) -> str:
    meta = {"x-tenant-id": tenant, "x-user-id": "u", "x-entitled-instruments": "*"}
    meta["x-correlation-id"] = "corr-b"
    request = rfq_service_pb2.CreateRfqRequest(
        instrument_id="FX.EURUSD", side=rfq_pb2.SIDE_BUY, quantity="1", expires_in_ms=30_000
    )
    return str(service.CreateRfq(request, meta).rfq.rfq_id)


async def test_blotter_updates_stream_rfq_upserts_then_the_trade(gql: Executor) -> None:
    service, store = FakeRfqService(), MemoryReadModelStore()
    _create(service, "acme")
    ctx = await gql.context("workstation", gql.issuer.mint(roles=("ROLE_SALES",)))
    ctx.downstreams.rfq = fake_rfq_client(service)
    ctx.downstreams.trades = TradeBlotter(store)
    stream: Any = await gql.schemas["workstation"].subscribe(SUB, context_value=ctx)
    ready = await anext(stream)
    assert ready.errors is None
    assert ready.data["blotterUpdates"]["kind"] == "READY"
    assert ready.data["blotterUpdates"]["rfq"] is None
    other = _create(service, "globex")
    mine = _create(service, "acme")
    upsert = (await anext(stream)).data["blotterUpdates"]
    assert upsert["kind"] == "RFQ"
    assert (upsert["rfq"]["id"], upsert["rfq"]["correlationId"]) == (mine, "corr-b")
    rfq = service.rfqs[mine]
    rfq.state, rfq.trade_id, rfq.version = rfq_pb2.RFQ_STATE_TRADED, "t-1", rfq.version + 2
    row = {"trade_id": "t-1", "rfq_id": mine, "correlation_id": "corr-b", "side": "SIDE_BUY"}
    await store.apply(MODEL, "acme:t-1", 1, orjson.dumps(row))
    traded = (await anext(stream)).data["blotterUpdates"]
    assert (traded["kind"], traded["rfq"]["status"]) == ("RFQ", "TRADED")
    trade = (await anext(stream)).data["blotterUpdates"]
    assert trade["kind"] == "TRADE"
    assert trade["trade"] == {"id": "t-1", "rfqId": mine, "correlationId": "corr-b"}
    assert other not in {upsert["rfq"]["id"], traded["rfq"]["id"]}
    await stream.aclose()


def test_a_tenant_watch_wakes_on_that_tenants_changes_only(tmp_path: Path) -> None:
    feed = RfqChangeFeed(EmbeddedBus(tmp_path / "log.db"), "test")
    feed._ensure_running = lambda: None  # type: ignore[method-assign]  # no consumer needed
    with feed.watch_tenant("acme") as acme, feed.watch("rfq-9") as one:
        feed.notify("rfq-1", "globex")
        assert (acme.is_set(), one.is_set()) == (False, False)
        feed.notify("rfq-9", "acme")
        assert (acme.is_set(), one.is_set()) == (True, True)
    assert feed.watching() == 0


async def test_blotter_updates_are_read_when_the_feed_reports_a_change(
    gql: Executor, tmp_path: Path
) -> None:
    bus = EmbeddedBus(tmp_path / "log.db", poll_interval_s=0.02)
    await bus.start()
    await bus.ensure_topics([TOPICS["rfq.lifecycle.v1"].spec("test")])
    feed = RfqChangeFeed(bus, "test")
    service = FakeRfqService()
    ctx = await gql.context("workstation", gql.issuer.mint(roles=("ROLE_SALES",)))
    ctx.downstreams.rfq = RfqClient(fake_rfq_client(service).downstream, changes=feed)
    stream: Any = await gql.schemas["workstation"].subscribe(SUB, context_value=ctx)
    try:
        assert (await anext(stream)).data["blotterUpdates"]["kind"] == "READY"
        await asyncio.wait_for(feed.live.wait(), 10)
        mine = _create(service, "acme")
        fact = OutgoingRecord(topic_name("rfq.lifecycle.v1", "test"), mine.encode(), b"fact",
                              (("tenant_id", b"acme"),))  # fmt: skip
        await bus.publish(fact)
        upsert = (await asyncio.wait_for(anext(stream), 30)).data["blotterUpdates"]
        assert (upsert["kind"], upsert["rfq"]["id"]) == ("RFQ", mine)
    finally:
        await stream.aclose()
        await feed.close()

"""blotterUpdates: READY, then RFQ upserts as versions move, then the trade once it exists."""

from __future__ import annotations

from typing import Any

import orjson

from bff.grpc.rfq_fake import FakeRfqService, fake_rfq_client
from bff.grpc.rfq_trades import MODEL, TradeBlotter
from eventbus.readmodel import MemoryReadModelStore
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

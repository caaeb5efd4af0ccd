"""The three processes as `python -m` wires them (real profile), driven over gRPC."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import orjson
import pytest
import redis.asyncio as redis
from grpc import aio

from core.db import create_database
from core.settings import Profile, Settings
from eventbus.readmodel import RedisReadModelStore
from orion.rfq.v1 import rfq_pb2
from orion.rfq.v1 import rfq_service_pb2 as pb
from orion.rfq.v1 import rfq_service_pb2_grpc as pb_grpc
from services.execution import projections as trade_blotter
from services.execution.bootstrap import ExecutionProcess
from services.lp_bots.bootstrap import LpBotsProcess
from services.rfq import projections as rfq_blotter
from services.rfq.bootstrap import RfqProcess
from tests.integration.test_rfq_to_trade import TEST_DB

pytestmark = pytest.mark.integration
META = (("x-tenant-id", "t-grpc"), ("x-user-id", "bob"), ("x-correlation-id", "c-grpc"))


@pytest.fixture
async def rfq_port(kafka_bootstrap: str, database_url: str, redis_url: str) -> AsyncIterator[int]:
    await create_database(database_url, TEST_DB, exist_ok=True)
    settings = Settings(
        profile=Profile.REAL,
        env=f"gp{uuid.uuid4().hex[:8]}",
        kafka_bootstrap=kafka_bootstrap,
        redis_url=redis_url,
        database_url=database_url.rsplit("/", 1)[0] + f"/{TEST_DB}",
    )
    rfq = RfqProcess(settings, port=0)
    execution = ExecutionProcess(settings)
    lp_bots = LpBotsProcess(settings, start_from="earliest")
    port = await rfq.start()
    await execution.start()
    await lp_bots.start()
    try:
        yield port
    finally:
        await lp_bots.stop()
        await execution.stop()
        await rfq.stop()


async def _poll(client: pb_grpc.RfqServiceAsyncStub, rfq_id: str, done: object) -> rfq_pb2.Rfq:
    deadline = time.monotonic() + 30
    rfq = rfq_pb2.Rfq()
    while time.monotonic() < deadline:
        rfq = (await client.GetRfq(pb.GetRfqRequest(rfq_id=rfq_id), metadata=META)).rfq
        if done(rfq):  # type: ignore[operator]
            return rfq
        await asyncio.sleep(0.05)
    state = rfq_pb2.RfqState.Name(rfq.state)
    raise AssertionError(f"RFQ {rfq_id} stuck in {state} with {len(rfq.quotes)} quotes after 30 s")


async def test_create_quote_accept_trade_over_grpc(rfq_port: int, redis_url: str) -> None:
    async with aio.insecure_channel(f"127.0.0.1:{rfq_port}") as channel:
        client = pb_grpc.RfqServiceStub(channel)
        create = pb.CreateRfqRequest(
            idempotency_key=f"g-{uuid.uuid4().hex}",
            instrument_id="FX.EURUSD",
            side=rfq_pb2.SIDE_SELL,
            quantity="2000000",
            expires_in_ms=20_000,
        )
        rfq = (await client.CreateRfq(create, metadata=META)).rfq
        assert rfq.state == rfq_pb2.RFQ_STATE_SENT
        quoted = await _poll(client, rfq.rfq_id, lambda r: len(r.quotes) >= 5)
        bids = [q.price for q in quoted.quotes]
        assert bids == sorted(bids, key=float, reverse=True)  # a seller sees the best bid first
        assert all(q.impact_bps for q in quoted.quotes)
        firm = next(q for q in quoted.quotes if not q.last_look)
        accept = pb.AcceptQuoteRequest(
            idempotency_key=f"a-{uuid.uuid4().hex}",
            rfq_id=rfq.rfq_id,
            quote_id=firm.quote_id,
            expected_version=quoted.version,
        )
        await client.AcceptQuote(accept, metadata=META)
        traded = await _poll(client, rfq.rfq_id, lambda r: r.state == rfq_pb2.RFQ_STATE_TRADED)
        assert traded.trade_id
        assert traded.accepted_quote_id == firm.quote_id
    await _blotters_show(redis_url, traded)


async def _blotters_show(redis_url: str, traded: rfq_pb2.Rfq) -> None:
    """Both read models in Redis reach the trade (eventually consistent, sequence-guarded)."""
    client = redis.from_url(redis_url)
    store = RedisReadModelStore(client)
    deadline = time.monotonic() + 10
    rfq_row: dict[str, object] = {}
    trade = None
    while time.monotonic() < deadline:
        trade = await store.get(trade_blotter.MODEL, f"t-grpc:{traded.trade_id}")
        stored = await store.get(rfq_blotter.MODEL, f"t-grpc:{traded.rfq_id}")
        rfq_row = {} if stored is None else orjson.loads(stored.value)
        if trade is not None and rfq_row.get("state") == "TRADED":
            break
        await asyncio.sleep(0.05)
    await client.aclose()
    assert trade is not None, "trade never reached rm_trade_blotter"
    assert orjson.loads(trade.value)["quote_id"] == traded.accepted_quote_id
    assert (rfq_row.get("state"), rfq_row.get("trade_id")) == ("TRADED", traded.trade_id)
    assert rfq_row.get("correlation_id") == "c-grpc"

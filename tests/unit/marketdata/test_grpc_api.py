"""MarketDataService over a real gRPC channel on 127.0.0.1: snapshot and explicit unavailability."""

from __future__ import annotations

import grpc

from eventbus.readmodel import MemoryReadModelStore
from orion.common.v1.envelope_pb2 import Envelope
from orion.marketdata.v1 import marketdata_service_pb2 as pb
from orion.marketdata.v1 import marketdata_service_pb2_grpc as pb_grpc
from orion.marketdata.v1.events_pb2 import MarketTickReceived
from services.marketdata.grpc_api import add_to_server
from services.marketdata.snapshot import SnapshotReader, project_tick
from tests.unit.marketdata.test_ingest import DownStore


async def _call(store: MemoryReadModelStore, ids: list[str]) -> pb.GetSnapshotResponse:
    server = grpc.aio.server()
    add_to_server(server, SnapshotReader(store))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.MarketDataServiceStub(channel)
            return await stub.GetSnapshot(pb.GetSnapshotRequest(instrument_ids=ids), timeout=5)
    finally:
        await server.stop(None)


async def test_get_snapshot_returns_latest_ticks_and_missing_ids() -> None:
    store = MemoryReadModelStore()
    tick = MarketTickReceived(instrument_id="FX.EURUSD", bid="1.1", ask="1.2", sequence=9)
    await project_tick(Envelope(), tick, store)
    response = await _call(store, ["FX.EURUSD", "FX.NOPE"])
    assert response.status == pb.SNAPSHOT_STATUS_AVAILABLE
    assert [t.sequence for t in response.ticks] == [9]
    assert list(response.missing_instrument_ids) == ["FX.NOPE"]


async def test_get_snapshot_answers_unavailable_when_the_store_is_down() -> None:
    response = await _call(DownStore(), ["FX.EURUSD"])
    assert response.status == pb.SNAPSHOT_STATUS_UNAVAILABLE
    assert "snapshot unavailable" in response.unavailable_reason
    assert len(response.ticks) == 0

"""Thin gRPC servicer for MarketDataService: request -> snapshot reader -> response."""

from __future__ import annotations

import grpc

from orion.marketdata.v1 import marketdata_service_pb2 as pb
from orion.marketdata.v1 import marketdata_service_pb2_grpc as pb_grpc
from services.marketdata.snapshot import SnapshotReader

MAX_INSTRUMENTS = 500


class MarketDataServicer(pb_grpc.MarketDataServiceServicer):
    def __init__(self, reader: SnapshotReader) -> None:
        self._reader = reader

    async def GetSnapshot(
        self, request: pb.GetSnapshotRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> pb.GetSnapshotResponse:
        if len(request.instrument_ids) > MAX_INSTRUMENTS:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"at most {MAX_INSTRUMENTS} instruments per call"
            )
        result = await self._reader.read(list(request.instrument_ids))
        if not result.available:
            return pb.GetSnapshotResponse(
                status=pb.SNAPSHOT_STATUS_UNAVAILABLE, unavailable_reason=result.reason
            )
        return pb.GetSnapshotResponse(
            status=pb.SNAPSHOT_STATUS_AVAILABLE,
            ticks=result.ticks,
            missing_instrument_ids=result.missing,
        )


def add_to_server(server: grpc.aio.Server, reader: SnapshotReader) -> None:
    pb_grpc.add_MarketDataServiceServicer_to_server(MarketDataServicer(reader), server)

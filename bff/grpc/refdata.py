"""Typed client of the reference-data service: generated stub behind the Downstream policy."""

from __future__ import annotations

from typing import Any

from grpc_health.v1 import health_pb2, health_pb2_grpc

from bff.grpc.calls import Downstream
from bff.grpc.errors import DownstreamNotFound
from orion.refdata.v1 import refdata_pb2 as pb
from orion.refdata.v1 import refdata_pb2_grpc as pb_grpc


class RefDataClient:
    def __init__(self, downstream: Downstream) -> None:
        self.downstream = downstream
        self._stub = pb_grpc.RefDataServiceStub(downstream.channel)
        # The health stubs are typed for sync channels only; this one is an aio channel.
        self._health: Any = health_pb2_grpc.HealthStub(downstream.channel)

    async def get_instrument(self, instrument_id: str) -> pb.Instrument | None:
        request = pb.GetInstrumentRequest(instrument_id=instrument_id)
        try:
            response = await self.downstream.call(
                "GetInstrument", self._stub.GetInstrument, request, idempotent=True
            )
        except DownstreamNotFound:
            return None
        return response.instrument

    async def batch_get(self, ids: list[str]) -> dict[str, pb.Instrument]:
        request = pb.BatchGetInstrumentsRequest(instrument_ids=ids)
        response = await self.downstream.call(
            "BatchGetInstruments", self._stub.BatchGetInstruments, request, idempotent=True
        )
        return {i.instrument_id: i for i in response.instruments}

    async def list_instruments(self, asset_class: int = 0) -> list[pb.Instrument]:
        request = pb.ListInstrumentsRequest(asset_class=asset_class)  # type: ignore[arg-type]
        response = await self.downstream.call(
            "ListInstruments", self._stub.ListInstruments, request, idempotent=True
        )
        return list(response.instruments)

    async def list_venues(self) -> list[pb.Venue]:
        response = await self.downstream.call(
            "ListVenues", self._stub.ListVenues, pb.ListVenuesRequest(), idempotent=True
        )
        return list(response.venues)

    async def upsert_instrument(self, instrument: pb.Instrument) -> pb.Instrument:
        """A write: never retried (a retry after a lost answer would bump the version twice)."""
        request = pb.UpsertInstrumentRequest(instrument=instrument)
        response = await self.downstream.call(
            "UpsertInstrument", self._stub.UpsertInstrument, request, idempotent=False
        )
        return response.instrument

    async def serving(self) -> bool:
        """Readiness probe through the standard gRPC health service (bypasses the breaker)."""
        request = health_pb2.HealthCheckRequest(service="")
        response = await self._health.Check(request, timeout=self.downstream.policy.timeout_s)
        return bool(response.status == health_pb2.HealthCheckResponse.SERVING)

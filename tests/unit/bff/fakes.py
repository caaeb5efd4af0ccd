"""Fake reference-data client for resolver unit tests: the real store, no network."""

from __future__ import annotations

from bff.grpc.errors import DownstreamError, DownstreamUnavailable
from core.logging import tenant_id_var
from orion.refdata.v1 import refdata_pb2 as pb
from services.refdata.store import RefDataStore


class FakeRefData:
    """Same surface as RefDataClient; reads the tenant the way the real metadata does."""

    def __init__(self, store: RefDataStore | None = None) -> None:
        self.store = store or RefDataStore.seeded()
        self.fail_with: DownstreamError | None = None
        self.batch_calls: list[list[str]] = []

    def _tenant(self) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        tenant = tenant_id_var.get()
        assert tenant, "resolvers must bind the tenant before calling downstream"
        return tenant

    async def get_instrument(self, instrument_id: str) -> pb.Instrument | None:
        return self.store.get(self._tenant(), instrument_id)

    async def batch_get(self, ids: list[str]) -> dict[str, pb.Instrument]:
        tenant = self._tenant()
        self.batch_calls.append(list(ids))
        rows = [self.store.get(tenant, i) for i in ids]
        return {r.instrument_id: r for r in rows if r is not None}

    async def list_instruments(self, asset_class: int = 0) -> list[pb.Instrument]:
        return self.store.list_instruments(self._tenant(), asset_class)

    async def list_venues(self) -> list[pb.Venue]:
        return self.store.venues(self._tenant())

    async def upsert_instrument(self, instrument: pb.Instrument) -> pb.Instrument:
        return self.store.upsert(self._tenant(), instrument)

    def go_down(self) -> None:
        self.fail_with = DownstreamUnavailable("refdata", "connection refused")

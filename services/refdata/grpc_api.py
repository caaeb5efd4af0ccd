"""Thin RefDataService servicer: tenant from metadata, store calls, gRPC status for failures."""

from __future__ import annotations

import logging
from typing import Any

import grpc
from grpc import aio

from core.logging import tenant_id_var
from eventbus.bus import EventBus
from eventbus.envelope import publish_event
from orion.refdata.v1 import events_pb2 as events_pb
from orion.refdata.v1 import refdata_pb2 as pb
from orion.refdata.v1 import refdata_pb2_grpc as pb_grpc
from services.refdata import events as _events  # noqa: F401  (registers InstrumentUpdated)
from services.refdata.store import RefDataStore

log = logging.getLogger("services.refdata")
MAX_BATCH = 500

Ctx = aio.ServicerContext[Any, Any]


async def _tenant(context: Ctx) -> str:
    """Set by the interceptor from `x-tenant-id`; a call without it is refused, never defaulted."""
    tenant = tenant_id_var.get()
    if not tenant:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "x-tenant-id metadata is required")
    assert tenant is not None  # abort() raises; this narrows the type
    return tenant


class RefDataServicer(pb_grpc.RefDataServiceServicer):
    """`bus` None: changes are not published (unit tests, BFF-embedded refdata)."""

    def __init__(self, store: RefDataStore, bus: EventBus | None = None, env: str = "dev") -> None:
        self._store = store
        self._bus = bus
        self._env = env

    async def GetInstrument(
        self, request: pb.GetInstrumentRequest, context: Ctx
    ) -> pb.GetInstrumentResponse:
        tenant = await _tenant(context)
        found = self._store.get(tenant, request.instrument_id)
        if found is None:
            await context.abort(
                grpc.StatusCode.NOT_FOUND, f"instrument {request.instrument_id!r} not found"
            )
        log.info("instrument served", extra={"instrument_id": request.instrument_id})
        return pb.GetInstrumentResponse(instrument=found)

    async def BatchGetInstruments(
        self, request: pb.BatchGetInstrumentsRequest, context: Ctx
    ) -> pb.BatchGetInstrumentsResponse:
        tenant = await _tenant(context)
        if len(request.instrument_ids) > MAX_BATCH:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"at most {MAX_BATCH} ids")
        rows = [self._store.get(tenant, i) for i in request.instrument_ids]
        log.info("instruments served", extra={"requested": len(request.instrument_ids)})
        return pb.BatchGetInstrumentsResponse(instruments=[r for r in rows if r is not None])

    async def ListInstruments(
        self, request: pb.ListInstrumentsRequest, context: Ctx
    ) -> pb.ListInstrumentsResponse:
        tenant = await _tenant(context)
        rows = self._store.list_instruments(tenant, request.asset_class)
        limit = request.page_size or len(rows)
        return pb.ListInstrumentsResponse(instruments=rows[:limit])

    async def ListVenues(
        self, request: pb.ListVenuesRequest, context: Ctx
    ) -> pb.ListVenuesResponse:
        tenant = await _tenant(context)
        return pb.ListVenuesResponse(venues=self._store.venues(tenant))

    async def UpsertInstrument(
        self, request: pb.UpsertInstrumentRequest, context: Ctx
    ) -> pb.UpsertInstrumentResponse:
        tenant = await _tenant(context)
        inst = request.instrument
        if not inst.instrument_id or not inst.symbol:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "instrument_id and symbol are required"
            )
        stored = self._store.upsert(tenant, inst)
        log.info("instrument upserted", extra={"instrument_id": stored.instrument_id})
        if self._bus is not None:
            # Tenant and correlation id come from the contextvars the interceptor set from the
            # caller's metadata. The store is in memory, so there is no transaction to share
            # with an outbox: this is a direct publish after the change.
            event = events_pb.InstrumentUpdated(instrument=stored)
            await publish_event(self._bus, event, env=self._env, sequence=stored.version)
        return pb.UpsertInstrumentResponse(instrument=stored)

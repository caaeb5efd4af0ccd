"""Builds the refdata grpc.aio server: servicer, context + OTel interceptors, health, reflection."""

from __future__ import annotations

import logging

from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from eventbus.bus import EventBus
from orion.refdata.v1 import refdata_pb2 as pb
from orion.refdata.v1 import refdata_pb2_grpc as pb_grpc
from services.refdata.grpc_api import RefDataServicer
from services.refdata.interceptors import ContextInterceptor
from services.refdata.store import RefDataStore

log = logging.getLogger("services.refdata")
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["RefDataService"].full_name


def _interceptors(tracing: bool) -> list[aio.ServerInterceptor]:
    interceptors: list[aio.ServerInterceptor] = []
    if tracing:
        from opentelemetry.instrumentation.grpc import aio_server_interceptor

        interceptors.append(aio_server_interceptor())  # type: ignore[no-untyped-call]
    # The context interceptor runs inside the OTel one, so its log lines sit inside the span.
    interceptors.append(ContextInterceptor())
    return interceptors


async def start_server(
    host: str = "127.0.0.1",
    port: int = 0,
    store: RefDataStore | None = None,
    tracing: bool = True,
    bus: EventBus | None = None,
    env: str = "dev",
) -> tuple[aio.Server, int]:
    """Start on host:port (0 picks a free port) and return the server and the bound port."""
    server = aio.server(interceptors=_interceptors(tracing))
    servicer = RefDataServicer(store or RefDataStore.seeded(), bus, env)
    pb_grpc.add_RefDataServiceServicer_to_server(servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name], server
    )
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    await health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    log.info("refdata listening", extra={"port": bound})
    return server, bound

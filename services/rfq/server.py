"""Builds the RFQ grpc.aio server: servicer, health and reflection, on a chosen or free port."""

from __future__ import annotations

from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from orion.rfq.v1 import rfq_service_pb2 as pb
from orion.rfq.v1 import rfq_service_pb2_grpc as pb_grpc
from services.rfq.grpc_api import RfqServicer
from services.rfq.handlers import RfqDeps

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["RfqService"].full_name


async def start_server(
    deps: RfqDeps, host: str = "127.0.0.1", port: int = 0
) -> tuple[aio.Server, int]:
    """Start on host:port (0 picks a free port); returns the server and the bound port."""
    server = aio.server()
    pb_grpc.add_RfqServiceServicer_to_server(RfqServicer(deps), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
    reflection.enable_server_reflection([SERVICE_NAME, health_name], server)
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    await health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    return server, bound

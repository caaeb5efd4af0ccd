"""Local addresses for the embedded profile's gRPC servers, and how to ask them for health."""

from __future__ import annotations

import socket
from typing import Any

from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc


def split(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host or "127.0.0.1", int(port)


def available(addr: str) -> str:
    """`addr` if its port can be bound now, else the same host on a free port.

    The embedded profile's gRPC ports are internal (only this process dials them), so a port
    taken by another Orion on the machine (say `orion up`) must not stop `orion dev` booting.
    """
    host, port = split(addr)
    if port == 0 or bindable(host, port):
        return f"{host}:{port}"
    return f"{host}:0"


def bindable(host: str, port: int) -> bool:
    """Whether a listening socket could take host:port now (port 0 always can)."""
    with socket.socket() as sock:
        # As servers do: a port left in TIME_WAIT by the previous run counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


async def grpc_serving(addr: str, timeout_s: float = 1.0) -> bool:
    """The standard gRPC health check of the whole server (service "")."""
    async with aio.insecure_channel(addr) as channel:
        stub: Any = health_pb2_grpc.HealthStub(channel)  # grpc stubs are untyped
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout_s)
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

"""The BFF's Starlette application: health endpoints now; GraphQL subgraphs mount here."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.health import HealthRegistry


def create_app(health: HealthRegistry) -> Starlette:
    async def healthz(_: Request) -> JSONResponse:
        """Liveness: the process answers; each component's state is reported alongside."""
        report = await health.report()
        components = {c.name: {"healthy": c.healthy, "detail": c.detail} for c in report}
        status = "ok" if all(c.healthy for c in report) else "degraded"
        return JSONResponse({"status": status, "components": components})

    async def readyz(_: Request) -> JSONResponse:
        """Readiness: 503 until every component is healthy."""
        report = await health.report()
        ready = all(c.healthy for c in report)
        body = {"ready": ready, "failing": [c.name for c in report if not c.healthy]}
        return JSONResponse(body, status_code=200 if ready else 503)

    return Starlette(routes=[Route("/healthz", healthz), Route("/readyz", readyz)])

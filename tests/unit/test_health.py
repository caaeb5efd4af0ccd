"""Health endpoints report each component; a failing or hanging check never breaks them."""

from __future__ import annotations

import asyncio

from starlette.testclient import TestClient

from bff.app import create_app
from core.health import ComponentHealth, HealthRegistry


def _registry() -> HealthRegistry:
    registry = HealthRegistry(timeout_s=0.05)

    async def fine() -> ComponentHealth:
        return ComponentHealth("database", True, "ok")

    async def broken() -> ComponentHealth:
        raise ConnectionRefusedError("redis down")

    async def hanging() -> ComponentHealth:
        await asyncio.sleep(10)
        return ComponentHealth("bus", True)

    registry.register("database", fine)
    registry.register("redis", broken)
    registry.register("bus", hanging)
    return registry


def test_healthz_answers_200_with_the_state_of_each_component() -> None:
    client = TestClient(create_app(_registry()))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["components"]["database"] == {"healthy": True, "detail": "ok"}
    assert body["components"]["redis"]["healthy"] is False
    assert "redis down" in body["components"]["redis"]["detail"]
    assert "no answer" in body["components"]["bus"]["detail"]


def test_readyz_is_503_until_every_component_is_healthy() -> None:
    response = TestClient(create_app(_registry())).get("/readyz")
    assert response.status_code == 503
    assert sorted(response.json()["failing"]) == ["bus", "redis"]


def test_healthz_is_ok_when_all_components_are_healthy() -> None:
    registry = HealthRegistry()

    async def fine() -> ComponentHealth:
        return ComponentHealth("database", True)

    registry.register("database", fine)
    client = TestClient(create_app(registry))
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").status_code == 200

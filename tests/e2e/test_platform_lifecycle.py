"""The composition root's life cycle: start in order, stop in reverse, a failed start unwinds."""

from __future__ import annotations

import asyncio

import pytest

from core.health import ComponentHealth, HealthRegistry
from core.platform.component import Jobs, Platform


class Recorder:
    def __init__(self, name: str, journal: list[str], fail_start: bool = False) -> None:
        self.name, self.journal, self.fail_start = name, journal, fail_start

    async def start(self) -> None:
        if self.fail_start:
            raise RuntimeError(f"{self.name} cannot start")
        self.journal.append(f"start {self.name}")

    async def stop(self) -> None:
        self.journal.append(f"stop {self.name}")

    async def check(self) -> ComponentHealth:
        return ComponentHealth(self.name, True, "fine")


async def test_components_start_in_order_and_stop_in_reverse() -> None:
    journal: list[str] = []
    platform = Platform([Recorder(n, journal) for n in ("db", "log", "bff")])
    await platform.start()
    await platform.stop()
    await platform.stop()  # a second stop is a no-op
    assert journal == ["start db", "start log", "start bff", "stop bff", "stop log", "stop db"]


async def test_a_failed_start_stops_what_already_started() -> None:
    journal: list[str] = []
    parts = [Recorder("db", journal), Recorder("log", journal), Recorder("x", journal, True)]
    with pytest.raises(RuntimeError, match="x cannot start"):
        await Platform(parts).start()
    assert journal == ["start db", "start log", "stop log", "stop db"]


async def test_health_lists_every_component() -> None:
    health = HealthRegistry()
    Platform([Recorder(n, []) for n in ("db", "log")]).register_health(health)
    assert {c.name for c in await health.report()} == {"db", "log"}


async def test_a_loop_that_dies_makes_its_component_unhealthy() -> None:
    jobs = Jobs("relay")

    async def crash(_: asyncio.Event) -> None:
        raise RuntimeError("boom")

    async def wait(stop: asyncio.Event) -> None:
        await stop.wait()

    jobs.spawn("crash", crash)
    jobs.spawn("wait", wait)
    await asyncio.sleep(0.01)
    assert not jobs.health("ok").healthy
    assert "relay:crash" in jobs.health("ok").detail
    await jobs.stop()
    assert jobs.health("ok").healthy  # stopped on purpose: not a failure


async def test_a_loop_ignoring_its_stop_event_is_cancelled() -> None:
    jobs = Jobs("stubborn")

    async def forever(_: asyncio.Event) -> None:
        await asyncio.sleep(3600)

    jobs.spawn("forever", forever)
    await asyncio.wait_for(jobs.stop(timeout_s=0.05), 2)

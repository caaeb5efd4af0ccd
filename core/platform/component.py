"""A platform component's life cycle, and the ordered set that starts and stops them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol

from core.health import ComponentHealth, HealthRegistry

log = logging.getLogger("orion.platform")

Job = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class Component(Protocol):
    """Started in list order, stopped in reverse; `check` feeds /healthz."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def check(self) -> ComponentHealth: ...


class Jobs:
    """Background loops sharing one stop event; a loop that ends early makes the owner unhealthy."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stop_event = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def spawn(self, label: str, job: Job) -> None:
        task = asyncio.create_task(job(self.stop_event), name=f"{self.name}:{label}")
        self._tasks.append(task)

    def failed(self) -> list[str]:
        """Names of loops that ended (or crashed) while they should still be running."""
        if self.stop_event.is_set():
            return []
        return [t.get_name() for t in self._tasks if t.done()]

    async def stop(self, timeout_s: float = 5.0) -> None:
        self.stop_event.set()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=timeout_s)
        for task in pending:  # a loop that ignores its stop event is cancelled, not awaited forever
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def health(self, detail: str) -> ComponentHealth:
        failed = self.failed()
        if failed:
            return ComponentHealth(self.name, False, f"stopped unexpectedly: {', '.join(failed)}")
        return ComponentHealth(self.name, True, detail)


class Platform:
    """Components in start order. A failed start stops whatever already started, in reverse."""

    def __init__(self, components: Sequence[Component]) -> None:
        self.components = list(components)
        self._started: list[Component] = []

    def register_health(self, health: HealthRegistry) -> None:
        for component in self.components:
            health.register(component.name, _checker(component))

    async def start(self, on_started: Callable[[Component], Awaitable[None]] | None = None) -> None:
        for component in self.components:
            try:
                await component.start()
            except BaseException:
                log.error("component %s failed to start; stopping the others", component.name)
                await self.stop()
                raise
            self._started.append(component)
            if on_started is not None:
                await on_started(component)

    async def stop(self) -> None:
        while self._started:
            component = self._started.pop()
            try:
                await asyncio.wait_for(component.stop(), 15.0)
            except Exception as exc:  # keep stopping the rest: one bad stop must not leak others
                log.warning("component %s did not stop cleanly: %s", component.name, exc)


def _checker(component: Component) -> Callable[[], Awaitable[ComponentHealth]]:
    async def check() -> ComponentHealth:
        return await component.check()

    return check

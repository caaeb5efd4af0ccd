"""Health of the platform's components, as reported by /healthz and /readyz and `orion ps`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ComponentHealth:
    name: str
    healthy: bool
    detail: str = ""


HealthCheck = Callable[[], Awaitable[ComponentHealth]]


@dataclass
class HealthRegistry:
    """Components register a check once; a report runs all of them concurrently with a timeout."""

    checks: dict[str, HealthCheck] = field(default_factory=dict)
    timeout_s: float = 2.0

    def register(self, name: str, check: HealthCheck) -> None:
        self.checks[name] = check

    async def report(self) -> list[ComponentHealth]:
        async def guarded(name: str, check: HealthCheck) -> ComponentHealth:
            try:
                return await asyncio.wait_for(check(), self.timeout_s)
            except TimeoutError:
                return ComponentHealth(name, False, f"no answer within {self.timeout_s}s")
            except Exception as exc:  # a failing check is a finding, not a crash
                return ComponentHealth(name, False, f"{type(exc).__name__}: {exc}")

        return list(await asyncio.gather(*(guarded(n, c) for n, c in self.checks.items())))

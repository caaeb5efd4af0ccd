"""Registry of the platform's OS processes that `orion up` runs and supervises (real profile)."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings


@dataclass(frozen=True)
class ProcessSpec:
    """One platform process: `python -m <module>`, and how to tell it is healthy.

    `health` is an `http://` URL that must answer 200, a `tcp://host:port` that must accept a
    connection (gRPC servers), or None (alive is enough).
    """

    name: str
    module: str
    health: str | None = None


def registry(settings: Settings) -> list[ProcessSpec]:
    """Every platform process, in start order. Append your service here."""
    bff_url = f"http://{settings.http_host}:{settings.http_port}/healthz"
    return [
        ProcessSpec("identity", "services.identity", _identity_health()),
        ProcessSpec("refdata", "services.refdata", f"tcp://{settings.refdata_addr}"),
        ProcessSpec("marketdata", "services.marketdata", f"tcp://{settings.marketdata_addr}"),
        ProcessSpec("rfq", "services.rfq", f"tcp://{settings.rfq_addr}"),
        # Consumers without a port: alive is healthy (the supervisor restarts them on exit).
        ProcessSpec("execution", "services.execution"),
        ProcessSpec("lp-bots", "services.lp_bots"),
        ProcessSpec("bff", "bff", bff_url),
    ]


def _identity_health() -> str:
    """The OIDC provider's own /healthz (ORION_IDENTITY_HOST/PORT; it serves its issuer)."""
    from services.identity.config import IdentitySettings

    identity = IdentitySettings()
    return f"http://{identity.host}:{identity.port}/healthz"


def selected(settings: Settings) -> list[ProcessSpec]:
    """The registry, narrowed to `settings.processes` (ORION_PROCESSES) when that is set."""
    specs = registry(settings)
    wanted = [name.strip() for name in settings.processes.split(",") if name.strip()]
    if not wanted:
        return specs
    unknown = sorted(set(wanted) - {spec.name for spec in specs})
    if unknown:
        raise ValueError(f"ORION_PROCESSES names unknown processes: {', '.join(unknown)}")
    return [spec for spec in specs if spec.name in wanted]

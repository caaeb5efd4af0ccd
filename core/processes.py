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
        ProcessSpec("refdata", "services.refdata", f"tcp://{settings.refdata_addr}"),
        ProcessSpec("bff", "bff", bff_url),
    ]

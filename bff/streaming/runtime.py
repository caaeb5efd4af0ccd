"""The process's hub, installed by the app's lifespan and read by the GraphQL resolvers."""

from __future__ import annotations

from bff.streaming.hub import MarketDataHub

_current: list[MarketDataHub] = []


def install(hub: MarketDataHub | None) -> None:
    _current.clear()
    if hub is not None:
        _current.append(hub)


def current_hub() -> MarketDataHub:
    if not _current:
        raise RuntimeError("market-data hub not started (bff.streaming.runtime.install)")
    return _current[0]

"""The single list of modules that register events; import them all with `load_all()`."""

from __future__ import annotations

import importlib

from eventbus.registry import REGISTRY, EventRegistry

# Each domain adds its events module here (one line), so the catalogue, the contract tests and
# every consumer see the same set of event types.
EVENT_MODULES: tuple[str, ...] = (
    "eventbus.ops_events",
    "services.marketdata.events",
    "services.rfq.event_specs",
    "services.execution.event_specs",
    "services.refdata.events",
    "services.identity.events",
)


def load_all() -> EventRegistry:
    """Import every events module (registering its events) and return the registry."""
    for module in EVENT_MODULES:
        importlib.import_module(module)
    return REGISTRY

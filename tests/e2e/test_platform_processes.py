"""The real profile's process registry (`orion up`) names every platform process, each runnable."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from core.processes import registry
from core.settings import Profile, Settings

# Every `python -m` entry point of a platform service; a new one must be registered too.
PLATFORM_MODULES = {
    "services.identity",
    "services.refdata",
    "services.marketdata",
    "services.rfq",
    "services.execution",
    "services.lp_bots",
    "bff",
}


def _specs() -> list[tuple[str, str]]:
    return [(spec.name, spec.module) for spec in registry(Settings(profile=Profile.REAL))]


@pytest.mark.parametrize(("name", "module"), _specs())
def test_registered_module_imports_and_runs_as_main(name: str, module: str) -> None:
    assert importlib.util.find_spec(f"{module}.__main__") is not None, f"{name}: no __main__"
    # Importing __main__ runs its top level (not main()): every import it needs must resolve.
    importlib.import_module(f"{module}.__main__")


def test_registry_names_every_platform_process_once() -> None:
    specs = registry(Settings(profile=Profile.REAL))
    modules = [spec.module for spec in specs]
    assert len(modules) == len(set(modules))
    assert len({spec.name for spec in specs}) == len(specs)
    assert set(modules) >= PLATFORM_MODULES


def test_servers_have_a_probe_and_the_bff_starts_last() -> None:
    specs = {spec.name: spec for spec in registry(Settings(profile=Profile.REAL))}
    for name in ("identity", "refdata", "marketdata", "rfq", "bff"):
        probe = specs[name].health
        assert probe is not None, name
        assert probe.startswith(("http://", "tcp://")), name
    assert registry(Settings(profile=Profile.REAL))[-1].name == "bff"

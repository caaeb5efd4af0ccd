"""Unit tests run against a clean configuration, whatever the surrounding shell exports."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from core.settings import get_settings

# `orion test` exports the real servers' addresses and ORION_PROFILE=real for the integration
# tier; a unit test must not silently pick them (or a developer's own overrides) up.
_RUNNER_VARIABLES = ("ORION_PROFILE", "ORION_HOME", "ORION_HTTP_PORT", "ORION_PROCESSES")
_RUNNER_PREFIXES = ("ORION_PORT_", "ORION_KAFKA_", "ORION_DATABASE_", "ORION_REDIS_")


@pytest.fixture(autouse=True)
def clean_orion_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name in _RUNNER_VARIABLES or name.startswith(_RUNNER_PREFIXES):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()

"""e2e prerequisites are built or installed here, never skipped: a missing piece fails loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import webui


@pytest.fixture(scope="session")
def workstation_dist() -> Path:
    """The workstation UI's production build (npm ci + vite build when it is not there yet)."""
    return webui.ensure_built()


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium for browser tests, installed when missing."""
    return webui.ensure_chromium()

"""`orion events` commands on the embedded profile (no servers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.cli import app
from core.settings import get_settings

runner = CliRunner()


@pytest.fixture
def embedded_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ORION_PROFILE", "embedded")
    monkeypatch.setenv("ORION_HOME", str(tmp_path))
    monkeypatch.setenv("ORION_ENV", "clitest")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_catalog_check_passes_on_the_checked_in_catalogue() -> None:
    result = runner.invoke(app, ["events", "catalog", "--check"])
    assert result.exit_code == 0, result.output


def test_topics_are_listed_with_the_environment_prefix(embedded_home: Path) -> None:
    result = runner.invoke(app, ["events", "topics"])
    assert result.exit_code == 0, result.output
    assert "clitest.rfq.lifecycle.v1  p=6  90d  delete  key=rfq_id" in result.output


def test_probe_round_trips_and_tail_decodes_the_probes(embedded_home: Path) -> None:
    probe = runner.invoke(app, ["events", "probe", "--count", "40"])
    assert probe.exit_code == 0, probe.output
    assert "sent 40, received 40" in probe.output
    assert (embedded_home / "data" / "eventlog.db").exists()
    tail = runner.invoke(
        app, ["events", "tail", "ops.probes.v1", "--from-beginning", "--limit", "40", "--wait", "1"]
    )
    assert tail.exit_code == 0, tail.output
    lines = [json.loads(line) for line in tail.output.splitlines() if line.startswith("{")]
    assert len(lines) == 40
    assert sorted(int(line["payload"]["seq"]) for line in lines) == list(range(1, 41))
    assert {line["tenantId"] for line in lines} == {"ops"}

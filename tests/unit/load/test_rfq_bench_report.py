"""The RFQ benchmark's summary and report writer (no platform: fabricated driver results)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from load.rfq.bench import LEGS, _summarise, render, write_report


def _sample(ms: float, error: str = "") -> dict[str, Any]:
    legs = {leg: 0.0 if error else ms * (i + 1) for i, leg in enumerate(LEGS)}
    return {"t0": 0.0, **legs, "accepts": 1, "updates": 4, "error": error}


def _results() -> list[dict[str, Any]]:
    ok = [_sample(float(ms)) for ms in range(1, 101)]
    failed = [_sample(0, "TimeoutError: "), _sample(0, "RuntimeError: accept refused: X")]
    return [{"cpu_s": 1.5, "wall_s": 10.0, "skipped": 3, "samples": ok + failed}]


def _result() -> dict[str, Any]:
    e2e = _summarise(_results(), rate=10.5, duration=10.0)
    e2e["cpu_s"] = {"rfq": 2.0, "machine": 15.0, "machine_capacity": 20.0, "driver": 1.5}
    e2e["cpu_ms_per_rfq"] = {k: v * 10 for k, v in e2e["cpu_s"].items()}
    ghz = [{"rate": 50, "seconds": 10, "count": 500, "rps": 50.0, "p50_ms": 3.0, "p99_ms": 9.0,
            "status": {"OK": 500}, "errors": {}, "cpu_s": {"rfq": 1.0}}]  # fmt: skip
    return {"e2e": e2e, "ghz": ghz, "when": "now", "machine": "2 cores", "bench_wall_s": 80.0}


def test_summary_counts_outcomes_and_takes_percentiles_of_completed_rfqs_only() -> None:
    e2e = _summarise(_results(), rate=10.5, duration=10.0)
    assert (e2e["sent"], e2e["traded_visible"], e2e["failed"], e2e["skipped"]) == (102, 100, 2, 3)
    assert e2e["rfqs_per_s"] == 10.0
    assert e2e["legs_ms"]["create_ack"] == {"p50": 51.0, "p99": 100.0}
    assert e2e["errors"] == {"TimeoutError: ": 1, "RuntimeError: accept refused: X": 1}
    assert e2e["updates_per_rfq"] == 4


def test_report_rewrites_only_the_generated_section(tmp_path: Path) -> None:
    report = tmp_path / "rfq.md"
    report.write_text("# Hand-written\n\nkept\n\n<!-- GENERATED:START -->\nold\n"
                      "<!-- GENERATED:END -->\n\ntail kept\n")  # fmt: skip
    write_report(_result(), "./orionw load rfq --rate 10.5", tmp_path)
    text = report.read_text()
    assert text.startswith("# Hand-written\n\nkept\n")
    assert text.endswith("\n\ntail kept\n")
    assert "old" not in text
    assert "**10.0 RFQ/s** traded" in text
    assert "4 rfqUpdates pushes per RFQ" in text
    assert "| 50 | 10 | 500 | 50.0 | 3.0 | 9.0 |" in text
    assert (tmp_path / "rfq-results.json").exists()


def test_a_first_report_gets_a_generated_section_appended(tmp_path: Path) -> None:
    write_report(_result(), "cmd", tmp_path)
    text = (tmp_path / "rfq.md").read_text()
    assert text.count("<!-- GENERATED:START -->") == 1
    assert render(_result(), "cmd") in text

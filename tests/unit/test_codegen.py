"""Generated protobuf code: the checked-in copy is fresh and a drift is detected."""

from __future__ import annotations

import shutil
from pathlib import Path

from core import codegen


def test_checked_in_generated_code_matches_a_fresh_generation() -> None:
    assert codegen.stale_files() == []


def test_an_edited_or_missing_generated_file_is_reported(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    codegen.generate(fresh)
    copy = tmp_path / "copy"
    shutil.copytree(fresh, copy)
    (copy / "orion" / "common" / "v1" / "envelope_pb2.py").write_text("# edited by hand\n")
    (copy / "orion" / "common" / "v1" / "envelope_pb2.pyi").unlink()
    assert codegen._diff(fresh, copy) == [
        "orion/common/v1/envelope_pb2.py",
        "orion/common/v1/envelope_pb2.pyi",
    ]


def test_generated_package_imports_under_its_own_top_level_name() -> None:
    from orion.common.v1 import envelope_pb2

    envelope = envelope_pb2.Envelope(event_type="Probe", tenant_id="t1")
    parsed = envelope_pb2.Envelope.FromString(envelope.SerializeToString())
    assert parsed.event_type == "Probe"
    assert envelope_pb2.DESCRIPTOR.name == "orion/common/v1/envelope.proto"

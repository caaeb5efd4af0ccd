"""Envelope contract: every registered event round-trips; missing context is refused at publish."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from jsonschema import Draft202012Validator, ValidationError

from core.settings import REPO_ROOT
from eventbus.bus import ConsumedRecord, TopicPartition
from eventbus.catalog import CATALOG_DIR, render, stale
from eventbus.embedded import EmbeddedBus
from eventbus.envelope import decode, encode_event, publish_event
from eventbus.errors import MissingContextError
from eventbus.known_events import load_all
from eventbus.registry import EventSpec
from eventbus.topics import TOPICS, all_specs
from orion.ops.v1.probe_pb2 import ProbeEmitted

REGISTRY = load_all()
SPECS = REGISTRY.specs()

_SCALARS: dict[int, Any] = {
    FieldDescriptor.CPPTYPE_STRING: "sample",
    FieldDescriptor.CPPTYPE_BOOL: True,
    FieldDescriptor.CPPTYPE_INT32: 7,
    FieldDescriptor.CPPTYPE_INT64: 1_700_000_000,  # valid as Timestamp/Duration seconds too
    FieldDescriptor.CPPTYPE_UINT32: 7,
    FieldDescriptor.CPPTYPE_UINT64: 70_000_000_000_000,
    FieldDescriptor.CPPTYPE_DOUBLE: 1.5,
    FieldDescriptor.CPPTYPE_FLOAT: 2.5,
}


def _value(field: FieldDescriptor, depth: int) -> Any:
    if field.type == FieldDescriptor.TYPE_BYTES:
        return b"\x00\x01sample"
    if field.cpp_type == FieldDescriptor.CPPTYPE_ENUM:
        values = field.enum_type.values
        return values[-1].number
    return _SCALARS[field.cpp_type]


def fill(message: Message, depth: int = 0) -> Message:
    """Set every field (first member of each oneof) so a round-trip exercises all of them."""
    descriptor: Descriptor = message.DESCRIPTOR
    for field in descriptor.fields:
        oneof = field.containing_oneof
        if oneof is not None and field is not oneof.fields[0]:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            _fill_map(message, field, depth)
        elif field.message_type is not None:
            if depth >= 3:
                continue
            target = getattr(message, field.name)
            fill(target.add() if field.is_repeated else target, depth + 1)
        elif field.is_repeated:
            getattr(message, field.name).append(_value(field, depth))
        else:
            setattr(message, field.name, _value(field, depth))
    return message


def _fill_map(message: Message, field: FieldDescriptor, depth: int) -> None:
    key_field = field.message_type.fields_by_name["key"]
    value_field = field.message_type.fields_by_name["value"]
    container = getattr(message, field.name)
    key = _value(key_field, depth)
    if value_field.message_type is not None:
        fill(container[key], depth + 1)
    else:
        container[key] = _value(value_field, depth)


def test_the_registry_knows_events() -> None:
    assert len(SPECS) >= 1
    assert "ProbeEmitted" in {s.event_type for s in SPECS}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.event_type}.v{s.version}")
def test_every_registered_event_round_trips(spec: EventSpec[Any]) -> None:
    payload = fill(spec.message())
    envelope, record = encode_event(
        payload,
        env="ci",
        sequence=3,
        tenant_id="tenant-1",
        correlation_id="corr-1",
        causation_id="cmd-1",
    )
    assert spec.topic in TOPICS
    assert record.topic == f"ci.{spec.topic}"
    assert record.key == spec.key_for(payload).encode()
    assert dict(record.headers)["event_type"] == spec.event_type.encode()
    decoded = decode(ConsumedRecord(record.topic, 0, 0, record.key, record.value, record.headers))
    assert decoded.spec is spec
    assert decoded.payload == payload
    assert decoded.envelope == envelope
    assert decoded.envelope.entity.type == spec.entity_type
    assert (decoded.tenant_id, decoded.envelope.correlation_id) == ("tenant-1", "corr-1")


@pytest.mark.parametrize(
    "context",
    [{"correlation_id": "c"}, {"tenant_id": "t"}, {"tenant_id": " ", "correlation_id": "c"}],
    ids=["no-tenant", "no-correlation", "blank-tenant"],
)
async def test_missing_context_is_rejected_at_publish_and_nothing_is_published(
    tmp_path: Path, context: dict[str, str]
) -> None:
    bus = EmbeddedBus(tmp_path / "eventlog.db")
    await bus.start()
    try:
        await bus.ensure_topics(all_specs("ci"))
        with pytest.raises(MissingContextError, match="is mandatory"):
            await publish_event(bus, ProbeEmitted(probe_id="p"), env="ci", sequence=1, **context)
        topic = "ci.ops.probes.v1"
        tps = [TopicPartition(topic, p) for p in range(TOPICS["ops.probes.v1"].partitions)]
        ends = await bus.run(lambda: bus.store.end_offsets(tps))
        assert set(ends.values()) == {0}
        full = {"tenant_id": "t", "correlation_id": "c"}
        _, meta = await publish_event(bus, ProbeEmitted(probe_id="p"), env="ci", sequence=1, **full)
        assert (meta.topic, meta.offset) == (topic, 0)
    finally:
        await bus.stop()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.event_type}.v{s.version}")
def test_checked_in_json_schema_accepts_the_proto3_json_of_the_event(
    spec: EventSpec[Any],
) -> None:
    path = CATALOG_DIR / "jsonschema" / f"{spec.payload_type}.json"
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    document = MessageToDict(fill(spec.message()), always_print_fields_with_no_presence=True)
    Draft202012Validator(schema).validate(document)


def test_json_schema_rejects_a_wrongly_typed_field() -> None:
    schema = json.loads((CATALOG_DIR / "jsonschema" / "orion.ops.v1.ProbeEmitted.json").read_text())
    with pytest.raises(ValidationError):
        Draft202012Validator(schema).validate({"probeId": 5})


def test_checked_in_catalogue_matches_the_registry() -> None:
    assert stale() == []
    catalog = json.loads((CATALOG_DIR / "catalog.json").read_text())
    listed = {
        (e["event_type"], e["version"], t["topic"]) for t in catalog["topics"] for e in t["events"]
    }
    assert listed == {(s.event_type, s.version, f"<env>.{s.topic}") for s in SPECS}
    assert render() == render()


def _buf_breaking(proto_dir: Path) -> subprocess.CompletedProcess[str]:
    buf = Path(sys.executable).parent / "buf"
    against = f"{REPO_ROOT / '.git'}#ref=HEAD,subdir=proto"
    return subprocess.run(
        [str(buf), "breaking", str(proto_dir), "--against", against],
        cwd=proto_dir.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_buf_breaking_refuses_renumbering_an_envelope_field(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "proto", tmp_path / "proto")
    shutil.copy(REPO_ROOT / "buf.yaml", tmp_path / "buf.yaml")
    envelope = tmp_path / "proto" / "orion" / "common" / "v1" / "envelope.proto"
    source = envelope.read_text()
    assert _buf_breaking(tmp_path / "proto").returncode == 0
    envelope.write_text(source.replace("string traceparent = 12;", "string traceparent = 13;"))
    result = _buf_breaking(tmp_path / "proto")
    assert result.returncode != 0
    assert "traceparent" in result.stdout + result.stderr

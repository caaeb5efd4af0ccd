"""Platform-owned diagnostic events (ops.probes.v1), used by probes, tests and benchmarks."""

from __future__ import annotations

from eventbus.registry import EventSpec, key_field, register
from orion.ops.v1.probe_pb2 import ProbeEmitted

PROBE_EMITTED = register(
    EventSpec(
        event_type="ProbeEmitted",
        version=1,
        message=ProbeEmitted,
        topic="ops.probes.v1",
        partition_key=key_field("probe_id"),
        producer="orion-ops",
        entity_type="Probe",
        consumers=("orion-ops", "eventbus-benchmark"),
        description="A diagnostic probe travelling producer -> log -> consumer.",
    )
)

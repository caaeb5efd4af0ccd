"""Unit tests of envelope building, record encoding and typed decode errors (no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from core.logging import correlation_id_var, tenant_id_var
from eventbus.bus import ConsumedRecord, OutgoingRecord
from eventbus.envelope import (
    build_envelope,
    decode,
    encode_event,
    headers_of,
    timestamp_of,
    to_record,
    trace_context,
)
from eventbus.errors import (
    DecodeError,
    MissingContextError,
    NonRetryableError,
    UnknownEventType,
)
from eventbus.known_events import load_all
from orion.common.v1.envelope_pb2 import Envelope
from orion.ops.v1.probe_pb2 import ProbeEmitted

FIXED = datetime(2026, 11, 24, 12, 0, 0, 123000, tzinfo=UTC)

load_all()


def _consumed(record: OutgoingRecord) -> ConsumedRecord:
    return ConsumedRecord(record.topic, 0, 0, record.key, record.value, record.headers)


def test_envelope_carries_context_entity_and_clock_time() -> None:
    env = build_envelope(
        ProbeEmitted(probe_id="p-1", seq=3),
        sequence=3,
        tenant_id="t-1",
        correlation_id="c-1",
        causation_id="cmd-9",
        clock=lambda: FIXED,
    )
    assert (env.event_type, env.event_version, env.producer) == ("ProbeEmitted", 1, "orion-ops")
    assert (env.entity.type, env.entity.id, env.entity.sequence) == ("Probe", "p-1", 3)
    assert env.occurred_at.ToDatetime(tzinfo=UTC) == FIXED
    assert env.causation_id == "cmd-9"
    assert env.payload_type == "orion.ops.v1.ProbeEmitted"


def test_event_ids_are_uuid7_and_sort_by_creation() -> None:
    ids = [
        build_envelope(
            ProbeEmitted(probe_id="p"), sequence=i, tenant_id="t", correlation_id="c"
        ).event_id
        for i in range(50)
    ]
    assert all(i[14] == "7" for i in ids)
    assert ids == sorted(ids)


@pytest.mark.parametrize(
    ("tenant", "correlation"), [("", "c"), ("  ", "c"), ("t", ""), (None, "c")]
)
def test_missing_tenant_or_correlation_is_rejected(tenant: str | None, correlation: str) -> None:
    with pytest.raises(MissingContextError):
        build_envelope(
            ProbeEmitted(probe_id="p"), sequence=1, tenant_id=tenant, correlation_id=correlation
        )


def test_context_defaults_to_logging_contextvars() -> None:
    t_token, c_token = tenant_id_var.set("t-ctx"), correlation_id_var.set("c-ctx")
    try:
        env = build_envelope(ProbeEmitted(probe_id="p"), sequence=1)
    finally:
        tenant_id_var.reset(t_token)
        correlation_id_var.reset(c_token)
    assert (env.tenant_id, env.correlation_id) == ("t-ctx", "c-ctx")


def test_hand_built_envelope_without_tenant_is_rejected_when_encoding() -> None:
    env = build_envelope(ProbeEmitted(probe_id="p"), sequence=1, tenant_id="t", correlation_id="c")
    env.tenant_id = ""
    with pytest.raises(MissingContextError):
        to_record(env, env="dev")


def test_record_has_topic_key_and_repeated_headers() -> None:
    _, record = encode_event(
        ProbeEmitted(probe_id="p-7"), env="test", sequence=1, tenant_id="t", correlation_id="c"
    )
    assert record.topic == "test.ops.probes.v1"
    assert record.key == b"p-7"
    headers = dict(record.headers)
    assert headers["event_type"] == b"ProbeEmitted"
    assert headers["tenant_id"] == b"t"
    assert headers["correlation_id"] == b"c"
    assert "traceparent" not in headers


def test_traceparent_comes_from_current_span() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("publish") as span:
        env = build_envelope(
            ProbeEmitted(probe_id="p"), sequence=1, tenant_id="t", correlation_id="c"
        )
        ctx = span.get_span_context()
    assert env.traceparent.startswith(f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-")
    assert int(env.traceparent[-2:], 16) & 0x01  # sampled flag
    assert dict(to_record(env, env="dev").headers)["traceparent"] == env.traceparent.encode()


def test_record_decodes_back_to_envelope_and_payload() -> None:
    env, record = encode_event(
        ProbeEmitted(probe_id="p", seq=9, note="hi"),
        env="dev",
        sequence=9,
        tenant_id="t",
        correlation_id="c",
    )
    decoded = decode(_consumed(record))
    assert decoded.envelope == env
    assert decoded.payload == ProbeEmitted(probe_id="p", seq=9, note="hi")


def test_garbage_bytes_raise_non_retryable_decode_error() -> None:
    record = ConsumedRecord("dev.ops.probes.v1", 0, 0, b"k", b"\xff\x00garbage")
    with pytest.raises(DecodeError) as info:
        decode(record)
    assert isinstance(info.value, NonRetryableError)


def test_unknown_event_type_or_version_is_non_retryable() -> None:
    env = build_envelope(ProbeEmitted(probe_id="p"), sequence=1, tenant_id="t", correlation_id="c")
    for event_type, version in (("NoSuchThing", 1), ("ProbeEmitted", 9)):
        env.event_type, env.event_version = event_type, version
        record = ConsumedRecord("t", 0, 0, b"k", env.SerializeToString())
        with pytest.raises(UnknownEventType):
            decode(record)


def test_unknown_fields_in_envelope_and_payload_are_ignored() -> None:
    # Field 99 (varint 7) is unknown to both messages: a newer producer added it.
    unknown = bytes([0x98, 0x06, 0x07])
    env = build_envelope(
        ProbeEmitted(probe_id="p", seq=2), sequence=2, tenant_id="t", correlation_id="c"
    )
    env.payload = env.payload + unknown
    value = env.SerializeToString() + unknown
    decoded = decode(ConsumedRecord("t", 0, 0, b"p", value))
    assert decoded.payload.probe_id == "p"
    assert decoded.payload.seq == 2
    assert isinstance(decoded.envelope, Envelope)


def test_consumer_span_continues_the_producer_trace() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("publish") as span:
        env = build_envelope(
            ProbeEmitted(probe_id="p"), sequence=1, tenant_id="t", correlation_id="c"
        )
        producer = span.get_span_context()
    with tracer.start_as_current_span("consume", context=trace_context(env)) as child:
        assert child.get_span_context().trace_id == producer.trace_id
        assert isinstance(child, ReadableSpan)  # the SDK's span, which knows its parent
        assert child.parent is not None
        assert child.parent.span_id == producer.span_id


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 24, 4, 3, 2, 123456, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),  # before the epoch
        datetime(2026, 1, 1, 12, 0, 0, 1),  # naive: UTC, as FromDatetime reads it
        datetime(2026, 1, 1, 12, 0, 0, 1, tzinfo=timezone(timedelta(hours=5))),
    ],
)
def test_timestamp_of_matches_protobuf_from_datetime(moment: datetime) -> None:
    expected = Timestamp()
    expected.FromDatetime(moment)
    assert timestamp_of(moment) == expected


def test_headers_repeat_the_envelope_fields_as_bytes() -> None:
    env = Envelope(
        event_type="ProbeEmitted",
        event_version=12,
        tenant_id="t-1",
        correlation_id="c-1",
        traceparent="00-ab-cd-01",
    )
    assert headers_of(env) == (
        ("event_type", b"ProbeEmitted"),
        ("event_version", b"12"),
        ("tenant_id", b"t-1"),
        ("correlation_id", b"c-1"),
        ("traceparent", b"00-ab-cd-01"),
    )
    env.traceparent = ""
    assert [name for name, _ in headers_of(env)][-1] == "correlation_id"

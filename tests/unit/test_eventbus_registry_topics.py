"""Unit tests of topic declarations, the event registry, group assignment and metrics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY as PROM

from eventbus.bus import ConsumerConfig, OutgoingRecord, TopicPartition
from eventbus.embedded import EmbeddedBus, partition_for
from eventbus.embedded.groups import GroupCoordinator
from eventbus.errors import RegistryError, UnknownEventType, UnknownTopic
from eventbus.metrics import measure_lag
from eventbus.registry import EventRegistry, EventSpec, key_field
from eventbus.topics import TOPICS, all_specs, dlq_topic, topic_name
from orion.common.v1.envelope_pb2 import EntityRef
from orion.ops.v1.probe_pb2 import ProbeEmitted

NAME = re.compile(r"^dev\.[a-z]+\.[a-z-]+\.v[0-9]+$")


def _spec(**overrides: object) -> EventSpec[ProbeEmitted]:
    fields: dict[str, object] = {
        "event_type": "ProbeEmitted",
        "version": 1,
        "message": ProbeEmitted,
        "topic": "ops.probes.v1",
        "partition_key": key_field("probe_id"),
        "producer": "p",
        "entity_type": "Probe",
    }
    fields.update(overrides)
    return EventSpec(**fields)  # type: ignore[arg-type]


def test_every_topic_follows_the_naming_convention() -> None:
    names = [s.name for s in all_specs("dev")]
    assert all(NAME.match(n) for n in names), names
    assert {
        "dev.marketdata.ticks.v1",
        "dev.rfq.lifecycle.v1",
        "dev.rfq.quotes.v1",
        "dev.oms.orders.v1",
        "dev.execution.trades.v1",
        "dev.posttrade.settlement.v1",
        "dev.risk.alerts.v1",
        "dev.admin.changes.v1",
    } <= set(names)


def test_ticks_are_short_lived_lifecycle_long_and_changes_compacted() -> None:
    ticks, rfq = TOPICS["marketdata.ticks.v1"], TOPICS["rfq.lifecycle.v1"]
    assert ticks.retention_days is not None
    assert rfq.retention_days is not None
    assert ticks.retention_days < rfq.retention_days
    assert TOPICS["admin.changes.v1"].compacted
    assert (TOPICS["rfq.quotes.v1"].key, TOPICS["posttrade.settlement.v1"].key) == (
        "rfq_id",
        "trade_id",
    )


def test_dlq_topics_are_named_per_consumer() -> None:
    assert dlq_topic("rfq-projector", "dev") == "dev.dlq.rfq-projector.v1"
    assert "dev.dlq.x.v1" in {s.name for s in all_specs("dev", ["x"])}
    with pytest.raises(ValueError, match="consumer name"):
        dlq_topic("Bad Name", "dev")


def test_undeclared_topic_is_refused() -> None:
    with pytest.raises(UnknownTopic):
        topic_name("nope.nothing.v1", "dev")


def test_registry_looks_up_by_type_and_by_payload() -> None:
    registry = EventRegistry()
    spec = registry.register(_spec())
    assert registry.lookup("ProbeEmitted", 1) is spec
    assert registry.for_payload(ProbeEmitted()) is spec
    assert registry.for_payload("orion.ops.v1.ProbeEmitted") is spec
    assert spec.key_for(ProbeEmitted(probe_id="k")) == "k"
    assert spec.key_label == "probe_id"
    with pytest.raises(UnknownEventType):
        registry.lookup("ProbeEmitted", 2)
    with pytest.raises(UnknownEventType):
        registry.for_payload(EntityRef())


def test_identical_registration_is_harmless_but_conflicts_fail() -> None:
    registry = EventRegistry()
    registry.register(_spec())
    registry.register(_spec())
    assert len(registry) == 1
    with pytest.raises(RegistryError):
        registry.register(_spec(producer="someone-else"))
    with pytest.raises(RegistryError):
        registry.register(_spec(event_type="OtherName"))


@pytest.mark.parametrize(
    "overrides",
    [{"event_type": "probeEmitted"}, {"version": 2}, {"topic": "nope.x.v1"}, {"producer": ""}],
)
def test_invalid_specs_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises((RegistryError, UnknownTopic)):
        EventRegistry().register(_spec(**overrides))


def test_group_members_get_contiguous_disjoint_ranges_and_rebalance() -> None:
    group = GroupCoordinator()
    group.join("a", ["t"], {"t": 5})
    assert group.assignment("a") == {TopicPartition("t", p) for p in range(5)}
    group.join("b", ["t"], {"t": 5})
    assert group.assignment("a") == {TopicPartition("t", p) for p in (0, 1, 2)}
    assert group.assignment("b") == {TopicPartition("t", p) for p in (3, 4)}
    generation = group.generation
    group.leave("a")
    assert group.generation == generation + 1
    assert group.assignment("b") == {TopicPartition("t", p) for p in range(5)}


def test_partition_for_is_stable_and_spreads_keys() -> None:
    parts = [partition_for(f"instrument-{i}".encode(), 12) for i in range(600)]
    assert parts == [partition_for(f"instrument-{i}".encode(), 12) for i in range(600)]
    assert set(parts) == set(range(12))


async def test_lag_is_end_offset_minus_committed(tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "log.db")
    await bus.start()
    try:
        await bus.ensure_topics(all_specs("unit"))
        topic = "unit.ops.probes.v1"
        metas = await bus.publish_batch([OutgoingRecord(topic, b"k", b"v")] * 5)
        consumer = bus.consumer(ConsumerConfig("lag-group", [topic]))
        await consumer.start()
        tp = TopicPartition(topic, metas[0].partition)
        await consumer.commit({tp: 2})
        lags = await measure_lag(consumer, "lag-group")
        assert lags[tp] == 3
        labels = {"topic": topic, "consumer_group": "lag-group", "partition": str(tp.partition)}
        assert PROM.get_sample_value("orion_consumer_lag", labels) == 3
        published = PROM.get_sample_value("orion_events_published_total", {"topic": topic})
        assert published is not None
        assert published >= 5
        await consumer.stop()
    finally:
        await bus.stop()


@given(
    partitions=st.integers(min_value=1, max_value=24),
    members=st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=12),
)
def test_any_join_leave_sequence_leaves_a_balanced_exact_split(
    partitions: int, members: list[str]
) -> None:
    group = GroupCoordinator()
    present: set[str] = set()
    for member in members:  # a name seen twice leaves the second time
        if member in present:
            group.leave(member)
            present.discard(member)
        else:
            group.join(member, ["t"], {"t": partitions})
            present.add(member)
    shares = [group.assignment(m) for m in present]
    assert sum(map(len, shares)) == (partitions if present else 0)
    assert set().union(*shares) == (
        {TopicPartition("t", p) for p in range(partitions)} if present else set()
    )
    if present:
        assert max(map(len, shares)) - min(map(len, shares)) <= 1

"""The one interface both log backends (Kafka and the embedded SQLite log) implement.

The contract, proven for both by tests/contract/test_bus_conformance.py:
- records with the same key land in the same partition and are read in publish order;
- `publish` returns only after the log has durably accepted the record (acks=all on Kafka);
- consumers in one group split the partitions of their topics between them;
- a group resumes from its committed offsets; records read but not committed are delivered again
  after a restart (at-least-once), and a consumer may rewind to the start of the log (replay);
- offsets are committed explicitly, after the effect, never automatically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from aiokafka.partitioner import murmur2


@lru_cache(maxsize=65_536)
def partition_for(key: bytes, partitions: int) -> int:
    """Kafka's default partitioner (murmur2, positive, modulo): both backends, and aiokafka's
    own `send()`, put a key on the same partition. Cached: keys repeat (entity ids)."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


@dataclass(frozen=True)
class TopicSpec:
    """A topic's declaration: name, partitions and retention (see eventbus/topics.py)."""

    name: str
    partitions: int = 3
    retention_ms: int | None = 7 * 24 * 3600 * 1000
    compacted: bool = False


@dataclass(frozen=True)
class TopicPartition:
    topic: str
    partition: int


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class RecordMetadata:
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class ConsumedRecord:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp_ms: int = 0

    @property
    def topic_partition(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode()
        return None


@dataclass(frozen=True)
class ConsumerConfig:
    group_id: str
    topics: Sequence[str]
    # Where a group with no committed offset starts: "earliest" (replay) or "latest".
    start_from: str = "earliest"
    max_batch: int = 500
    session_timeout_ms: int = 10_000
    client_id: str = field(default="orion")


class Consumer(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Leave the group without committing anything."""

    async def poll(self, timeout_ms: int = 1000) -> list[ConsumedRecord]:
        """Next records of the assigned partitions; waits (without busy polling) up to timeout."""

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit the next offset to read for each partition (last processed offset + 1)."""

    def assignment(self) -> set[TopicPartition]: ...

    async def seek_to_beginning(self) -> None:
        """Rewind every assigned partition to its first record (replay)."""

    async def committed(self, tp: TopicPartition) -> int | None: ...

    async def end_offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...


class EventBus(Protocol):
    """A log of topics split in partitions, with consumer groups."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None:
        """Create missing topics; an existing topic is left as it is (idempotent)."""

    async def publish(self, record: OutgoingRecord) -> RecordMetadata:
        """Append one record; returns once it is durably accepted."""

    async def publish_batch(self, records: Sequence[OutgoingRecord]) -> list[RecordMetadata]:
        """Append many records; per-key order is the order given."""

    def consumer(self, config: ConsumerConfig) -> Consumer: ...

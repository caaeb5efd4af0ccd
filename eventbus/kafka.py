"""KafkaBus: the EventBus on Apache Kafka via aiokafka (acks=all, idempotent, manual commits)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka import TopicPartition as KafkaTP
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    CommitFailedError,
    IllegalStateError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    RebalanceInProgressError,
)

from eventbus import metrics
from eventbus.bus import (
    ConsumedRecord,
    ConsumerConfig,
    OutgoingRecord,
    RecordMetadata,
    TopicPartition,
    TopicSpec,
)
from eventbus.errors import BusUnavailable, CommitFailed, EventBusError
from eventbus.kafka_batches import send_in_batches

_TOPIC_ALREADY_EXISTS = 36


def _topic_configs(spec: TopicSpec) -> dict[str, str]:
    configs = {"cleanup.policy": "compact" if spec.compacted else "delete"}
    configs["retention.ms"] = "-1" if spec.retention_ms is None else str(spec.retention_ms)
    return configs


def _translate(exc: KafkaError, what: str) -> EventBusError:
    """Kafka's transient errors become RetryableError (BusUnavailable); others stay fatal."""
    if isinstance(exc, KafkaConnectionError | KafkaTimeoutError) or exc.retriable:
        return BusUnavailable(f"{what}: {exc!r}")
    return EventBusError(f"{what}: {exc!r}")


class KafkaBus:
    """One idempotent producer shared by publishers; consumers are created per group member."""

    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str = "orion",
        replication_factor: int = 1,
        linger_ms: int = 1,
        request_timeout_ms: int = 15_000,
        max_batch_size: int = 256 * 1024,
    ) -> None:
        self.bootstrap = bootstrap
        self._client_id = client_id
        self._replication = replication_factor
        self._linger_ms = linger_ms
        self._request_timeout_ms = request_timeout_ms
        # Bigger record batches than aiokafka's 16 KiB: a relay batch of 1,000 events is then a
        # few produce requests instead of dozens (each costs the broker and us a round trip).
        self._max_batch_size = max_batch_size
        self._producer: AIOKafkaProducer | None = None
        # Consumers this bus made; `stop` closes any still open so none is left to the GC.
        self._consumers: set[KafkaConsumer] = set()

    async def start(self) -> None:
        if self._producer is not None:
            return
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=self._linger_ms,
            request_timeout_ms=self._request_timeout_ms,
            max_batch_size=self._max_batch_size,
        )
        try:
            await producer.start()
        except KafkaConnectionError as exc:
            await producer.stop()
            raise BusUnavailable(f"Kafka at {self.bootstrap} is unreachable: {exc}") from exc
        self._producer = producer

    async def stop(self) -> None:
        for consumer in list(self._consumers):
            await consumer.stop()
        self._consumers.clear()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise BusUnavailable("KafkaBus is not started")
        return self._producer

    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None:
        """Create missing topics through the admin API; existing topics are left alone."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap, client_id=f"{self._client_id}-admin"
        )
        try:
            await admin.start()
            response = await admin.create_topics(
                [
                    NewTopic(
                        s.name, s.partitions, self._replication, topic_configs=_topic_configs(s)
                    )
                    for s in specs
                ]
            )
        except KafkaError as exc:
            raise _translate(exc, f"Kafka at {self.bootstrap} is unreachable") from exc
        finally:
            await admin.close()
        failed = [
            (e[0], e[1]) for e in response.topic_errors if e[1] not in (0, _TOPIC_ALREADY_EXISTS)
        ]
        if failed:
            raise EventBusError(f"could not create topics (topic, Kafka error code): {failed}")

    async def publish(self, record: OutgoingRecord) -> RecordMetadata:
        try:
            ack = await self.producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
        except KafkaError as exc:
            raise _translate(exc, f"publish to {record.topic}") from exc
        meta = RecordMetadata(ack.topic, ack.partition, ack.offset)
        metrics.record_published([meta])
        return meta

    async def publish_batch(self, records: Sequence[OutgoingRecord]) -> list[RecordMetadata]:
        """Queue all records (per-partition order kept by the idempotent producer), await acks."""
        try:
            metas = await send_in_batches(self.producer, records)
        except KafkaError as exc:
            raise _translate(exc, f"publish batch of {len(records)}") from exc
        metrics.record_published(metas)
        return metas

    def consumer(self, config: ConsumerConfig) -> KafkaConsumer:
        consumer = KafkaConsumer(self.bootstrap, config)
        self._consumers.add(consumer)
        return consumer


class _Rewinder(ConsumerRebalanceListener):  # type: ignore[misc]
    """Applies a requested replay to partitions that are assigned after the request."""

    def __init__(self, owner: KafkaConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._owner.rewind_new(list(assigned))


class KafkaConsumer:
    """A group member on aiokafka with auto-commit off: offsets are committed after effects."""

    def __init__(self, bootstrap: str, config: ConsumerConfig) -> None:
        self._config = config
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=config.group_id,
            client_id=config.client_id,
            enable_auto_commit=False,
            auto_offset_reset=config.start_from,
            session_timeout_ms=config.session_timeout_ms,
            heartbeat_interval_ms=max(100, config.session_timeout_ms // 5),
        )
        self._rewind = False
        self._rewound: set[KafkaTP] = set()

    async def start(self) -> None:
        try:
            await self._consumer.start()
        except KafkaConnectionError as exc:
            await self._consumer.stop()
            raise BusUnavailable(f"Kafka is unreachable: {exc}") from exc
        self._consumer.subscribe(list(self._config.topics), listener=_Rewinder(self))

    async def stop(self) -> None:
        """Leave the group without committing (auto-commit is off)."""
        await self._consumer.stop()

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    async def poll(self, timeout_ms: int = 1000) -> list[ConsumedRecord]:
        try:
            batches = await self._consumer.getmany(
                timeout_ms=timeout_ms, max_records=self._config.max_batch
            )
        except KafkaError as exc:
            raise _translate(exc, f"poll for group {self._config.group_id}") from exc
        records = [
            ConsumedRecord(
                m.topic,
                m.partition,
                m.offset,
                m.key or b"",
                m.value or b"",
                tuple((k, bytes(v)) for k, v in m.headers),
                m.timestamp,
            )
            for msgs in batches.values()
            for m in msgs
        ]
        metrics.record_consumed(self._config.group_id, records)
        return records

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        try:
            await self._consumer.commit(
                {KafkaTP(tp.topic, tp.partition): off for tp, off in offsets.items()}
            )
        except (CommitFailedError, IllegalStateError, RebalanceInProgressError) as exc:
            raise CommitFailed(f"group {self._config.group_id}: {exc}") from exc
        except KafkaError as exc:
            raise BusUnavailable(f"commit failed: {exc}") from exc

    async def seek_to_beginning(self) -> None:
        """Rewind the assigned partitions now and partitions assigned later, once each."""
        self._rewind = True
        await self.rewind_new(list(self._consumer.assignment()))

    async def rewind_new(self, assigned: list[KafkaTP]) -> None:
        fresh = [tp for tp in assigned if tp not in self._rewound]
        if self._rewind and fresh:
            await self._consumer.seek_to_beginning(*fresh)
            self._rewound.update(fresh)

    async def committed(self, tp: TopicPartition) -> int | None:
        value = await self._consumer.committed(KafkaTP(tp.topic, tp.partition))
        return None if value is None else int(value)

    async def end_offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        found = await self._consumer.end_offsets([KafkaTP(tp.topic, tp.partition) for tp in tps])
        return {TopicPartition(tp.topic, tp.partition): int(off) for tp, off in found.items()}

"""Dead-letter topics: what a consumer gave up on, and the tools to list and re-deliver it."""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import uuid_utils

from eventbus.bus import (
    ConsumedRecord,
    Consumer,
    ConsumerConfig,
    EventBus,
    OutgoingRecord,
    RecordMetadata,
    TopicPartition,
)
from eventbus.envelope import parse_envelope
from eventbus.errors import NonRetryableError
from eventbus.topics import dlq_spec, dlq_topic
from orion.ops.v1.dead_letter_pb2 import DeadLetter, OriginalRecord, RecordHeader

# A re-delivered record carries this header; every other consumer group of the topic skips it,
# so a DLQ replay reaches only the consumer that failed (the others already applied it).
REPLAY_FOR_HEADER = "orion-replay-for"
DLQ_ID_HEADER = "orion-dead-letter-id"
STACK_FRAMES = 8


@dataclass(frozen=True)
class Failure:
    """How processing of one record failed, over all its attempts."""

    error: BaseException
    attempts: int
    first_at: datetime
    last_at: datetime
    retryable: bool


def stack_summary(error: BaseException, frames: int = STACK_FRAMES) -> str:
    """The innermost frames as `file:line in function`, one per line (no locals, no source)."""
    summary = traceback.extract_tb(error.__traceback__)[-frames:]
    return "\n".join(f"{f.filename}:{f.lineno} in {f.name}" for f in summary)


def build_dead_letter(
    record: ConsumedRecord, failure: Failure, *, consumer: str, version: str
) -> DeadLetter:
    error = failure.error
    letter = DeadLetter(
        dead_letter_id=str(uuid_utils.uuid7()),
        original=OriginalRecord(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            timestamp_ms=record.timestamp_ms,
            headers=[RecordHeader(name=n, value=v) for n, v in record.headers],
        ),
        error_class=f"{type(error).__module__}.{type(error).__qualname__}",
        error_message=str(error)[:4000],
        stack_summary=stack_summary(error),
        consumer_name=consumer,
        consumer_version=version,
        attempts=failure.attempts,
        retryable=failure.retryable,
        event_id=_event_id(record),
        event_type=record.header("event_type") or "",
        tenant_id=record.header("tenant_id") or "",
    )
    letter.first_failure_at.FromDatetime(failure.first_at)
    letter.last_failure_at.FromDatetime(failure.last_at)
    return letter


def _event_id(record: ConsumedRecord) -> str:
    """The envelope's event id when the value still decodes (it may be the poison itself)."""
    try:
        return parse_envelope(record.value).event_id
    except NonRetryableError:
        return ""


class DeadLetterSink:
    """Publishes a consumer's dead letters to `<env>.dlq.<consumer>.v1`."""

    def __init__(self, bus: EventBus, *, consumer: str, version: str, env: str) -> None:
        self._bus = bus
        self._consumer = consumer
        self._version = version
        self.topic = dlq_topic(consumer, env)
        self.spec = dlq_spec(consumer, env)

    async def send(self, record: ConsumedRecord, failure: Failure) -> DeadLetter:
        letter = build_dead_letter(record, failure, consumer=self._consumer, version=self._version)
        headers = ((DLQ_ID_HEADER, letter.dead_letter_id.encode()), *record.headers)
        await self._bus.publish(
            OutgoingRecord(self.topic, record.key, letter.SerializeToString(), headers)
        )
        return letter


async def read_dead_letters(
    bus: EventBus, consumer: str, env: str, *, idle_polls: int = 4
) -> list[DeadLetter]:
    """Every dead letter of a consumer, oldest first; reads with a throwaway group, no commit."""
    config = ConsumerConfig(
        group_id=f"orion-dlq-reader-{uuid.uuid4().hex[:12]}", topics=[dlq_topic(consumer, env)]
    )
    # A consumer that never failed may have no DLQ topic yet: create it (idempotent) and read
    # nothing, rather than fail.
    await bus.ensure_topics([dlq_spec(consumer, env)])
    reader = bus.consumer(config)
    await reader.start()
    letters: list[DeadLetter] = []
    seen: dict[TopicPartition, int] = {}
    try:
        idle = 0
        while idle < idle_polls:
            batch = await reader.poll(timeout_ms=500)
            idle = 0 if batch else idle + 1
            for record in batch:
                letters.append(DeadLetter.FromString(record.value))
                seen[record.topic_partition] = record.offset
            if await _caught_up(reader, seen):
                break
    finally:
        await reader.stop()
    return letters


async def _caught_up(reader: Consumer, seen: dict[TopicPartition, int]) -> bool:
    """True once every assigned partition was read up to its end offset."""
    assigned = sorted(reader.assignment(), key=lambda tp: tp.partition)
    if not assigned:
        return False
    ends = await reader.end_offsets(assigned)
    return all(seen.get(tp, -1) + 1 >= ends.get(tp, 0) for tp in assigned)


def replay_record(letter: DeadLetter) -> OutgoingRecord:
    """The original record, re-addressed to the consumer that dead-lettered it."""
    original = letter.original
    kept = [(h.name, h.value) for h in original.headers if h.name != REPLAY_FOR_HEADER]
    headers = (*kept, (REPLAY_FOR_HEADER, letter.consumer_name.encode()))
    return OutgoingRecord(original.topic, original.key, original.value, headers)


async def replay_dead_letters(
    bus: EventBus, letters: Sequence[DeadLetter], *, dry_run: bool = False
) -> list[RecordMetadata]:
    """Re-publish each original record to its topic for its consumer only (see ADR 0003)."""
    if dry_run:
        return []
    return await bus.publish_batch([replay_record(letter) for letter in letters])

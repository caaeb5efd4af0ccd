"""Smoke tests proving the real Kafka, PostgreSQL and Redis servers are used."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

import asyncpg  # type: ignore[import-untyped]
import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

pytestmark = pytest.mark.integration

TopicFactory = Callable[..., Awaitable[str]]  # the `kafka_topic` fixture of tests/conftest.py


def _consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def test_kafka_record_round_trips_through_a_consumer_group_with_committed_offset(
    kafka_bootstrap: str, kafka_topic: TopicFactory
) -> None:
    topic, group = await kafka_topic("smoke", partitions=1), f"smoke-{uuid.uuid4().hex}"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b"hello", key=b"k1")
        await producer.send_and_wait(topic, b"second", key=b"k1")
    finally:
        await producer.stop()
    consumer = _consumer(kafka_bootstrap, topic, group)
    await consumer.start()
    try:
        record = await consumer.getone()
        assert (record.key, record.value, record.offset) == (b"k1", b"hello", sent.offset)
        await consumer.commit()
        tp = TopicPartition(topic, 0)
        assert await consumer.committed(tp) == record.offset + 1
    finally:
        await consumer.stop()
    # A new member of the same group resumes after the committed offset.
    resumed = _consumer(kafka_bootstrap, topic, group)
    await resumed.start()
    try:
        assert (await resumed.getone()).value == b"second"
    finally:
        await resumed.stop()


async def test_kafka_metadata_names_the_expected_broker(kafka_bootstrap: str) -> None:
    from aiokafka.client import AIOKafkaClient

    client = AIOKafkaClient(bootstrap_servers=kafka_bootstrap)
    await client.bootstrap()
    try:
        ports = {broker.port for broker in client.cluster.brokers()}
    finally:
        await client.close()
    assert int(kafka_bootstrap.rsplit(":", 1)[1]) in ports


async def test_postgres_commit_persists_and_rollback_discards(postgres_dsn: str) -> None:
    run = uuid.uuid4().hex
    conn = await asyncpg.connect(postgres_dsn)
    other = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute("create table if not exists smoke_tx (run text not null, note text)")
        async with conn.transaction():
            await conn.execute("insert into smoke_tx values ($1, 'kept')", run)
        tx = conn.transaction()
        await tx.start()
        await conn.execute("insert into smoke_tx values ($1, 'discarded')", run)
        await tx.rollback()
        rows = await other.fetch("select note from smoke_tx where run = $1", run)
        assert [r["note"] for r in rows] == ["kept"]
        assert await other.fetchval("select current_database()") == urlparse(postgres_dsn).path[1:]
    finally:
        await conn.execute("delete from smoke_tx where run = $1", run)
        await conn.close()
        await other.close()


async def test_redis_round_trip_on_the_expected_server(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    key = f"smoke:{uuid.uuid4().hex}"
    try:
        assert await client.set(key, b"value", ex=60)
        assert await client.get(key) == b"value"
        assert await client.delete(key) == 1
        info = await client.info("server")
        assert int(info["tcp_port"]) == urlparse(redis_url).port
    finally:
        await client.aclose()


async def test_kafka_topic_fixture_topics_are_ready_at_once_on_every_partition(
    kafka_bootstrap: str, kafka_topic: TopicFactory
) -> None:
    topic = await kafka_topic("smoke-ready", partitions=12)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        assert topic in await admin.list_topics()
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        sent = [await producer.send_and_wait(topic, b"x", partition=p) for p in range(12)]
    finally:
        await producer.stop()
    assert sorted(m.partition for m in sent) == list(range(12))

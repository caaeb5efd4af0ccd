"""Shared fixtures: the real Kafka, PostgreSQL and Redis servers, failing loudly when absent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlparse

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from core.db import Database
from core.settings import Profile, Settings
from infra.local.kafka_server import metadata_request_succeeds
from infra.local.postgres_server import asyncpg_dsn, select_one
from infra.local.redis_server import ping
from load.eventbus.harness import scratch_postgres

HINT = "start the servers with `./orionw infra up` (or point ORION_* URLs at existing ones)"


def _real_settings() -> Settings:
    """Real-profile settings; ORION_KAFKA_BOOTSTRAP / _DATABASE_URL / _REDIS_URL override."""
    return Settings(profile=Profile.REAL)


def _unreachable(what: str, where: str, error: object) -> str:
    return f"{what} at {where} is unreachable ({error}); {HINT}"


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """host:port of a Kafka broker that answers a metadata request."""
    bootstrap = _real_settings().effective_kafka_bootstrap()
    try:
        ok = metadata_request_succeeds(bootstrap)
    except Exception as exc:
        pytest.fail(_unreachable("Kafka", bootstrap, exc))
    if not ok:
        pytest.fail(_unreachable("Kafka", bootstrap, "metadata lists no broker"))
    return bootstrap


@pytest.fixture(scope="session")
def database_url() -> str:
    """SQLAlchemy URL (postgresql+asyncpg://...) of a PostgreSQL that answers `select 1`."""
    url = _real_settings().effective_database_url()
    try:
        asyncio.run(select_one(asyncpg_dsn(url)))
    except Exception as exc:
        pytest.fail(_unreachable("PostgreSQL", url, exc))
    return url


@pytest.fixture(scope="session")
def postgres_dsn(database_url: str) -> str:
    """The same database as `database_url`, in the postgresql:// form asyncpg accepts."""
    return asyncpg_dsn(database_url)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """redis:// URL of a Redis that answers PING."""
    url = _real_settings().effective_redis_url()
    parsed = urlparse(url)
    try:
        ok = ping(parsed.hostname or "127.0.0.1", parsed.port or 6379)
    except OSError as exc:
        pytest.fail(_unreachable("Redis", url, exc))
    if not ok:
        pytest.fail(_unreachable("Redis", url, "PING was not answered with PONG"))
    return url


TopicFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def kafka_topic(kafka_bootstrap: str) -> AsyncIterator[TopicFactory]:
    """`await kafka_topic("prefix", partitions=3)`: a fresh topic whose partitions all have a
    leader that answers (no NotLeaderForPartition right after creation); deleted afterwards so
    the shared broker does not pile up partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, request_timeout_ms=30000)
    await admin.start()
    await probe.start()
    created: list[str] = []

    async def create(prefix: str = "test", partitions: int = 3) -> str:
        name = f"{prefix}.{uuid.uuid4().hex[:12]}"
        await admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
        created.append(name)
        # ListOffsets goes to each partition's leader and is retried until it answers.
        await probe.end_offsets([TopicPartition(name, p) for p in range(partitions)])
        return name

    try:
        yield create
    finally:
        if created:
            await admin.delete_topics(created)
        await probe.stop()
        await admin.close()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A fresh PostgreSQL database with every table, dropped afterwards. Tests that need another
    kind of database (SQLite, a fixed name) define their own `db`."""
    async with scratch_postgres(database_url) as database:
        yield database

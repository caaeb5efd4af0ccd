"""Every topic of Orion, declared in one place: `<env>.<domain>.<stream>.v<major>`."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from eventbus.bus import EventBus, TopicSpec
from eventbus.errors import UnknownTopic

_DAY_MS = 24 * 3600 * 1000
_NAME_PART = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class TopicDecl:
    """A topic independent of the environment; `logical` is `<domain>.<stream>.v<major>`."""

    domain: str
    stream: str
    major: int
    partitions: int
    retention_days: int | None
    key: str
    compacted: bool = False
    description: str = ""

    @property
    def logical(self) -> str:
        return f"{self.domain}.{self.stream}.v{self.major}"

    def name(self, env: str) -> str:
        return f"{env}.{self.logical}"

    def spec(self, env: str) -> TopicSpec:
        retention = None if self.retention_days is None else self.retention_days * _DAY_MS
        return TopicSpec(self.name(env), self.partitions, retention, self.compacted)


# Ticks are high-volume and short-lived; lifecycle streams are kept long for replay and audit;
# reference-data changes are compacted so the latest state per key is always available.
_DECLS: tuple[TopicDecl, ...] = (
    TopicDecl("marketdata", "ticks", 1, 12, 3, "instrument_id", description="Price ticks"),
    TopicDecl(
        "marketdata",
        "status",
        1,
        6,
        14,
        "instrument_id",
        description="Feed health: stale and recovered",
    ),
    TopicDecl("rfq", "lifecycle", 1, 6, 90, "rfq_id", description="RFQ state changes"),
    TopicDecl("rfq", "quotes", 1, 6, 90, "rfq_id", description="LP quotes, ordered per RFQ"),
    TopicDecl("oms", "orders", 1, 6, 90, "order_id", description="Order lifecycle"),
    TopicDecl("execution", "trades", 1, 6, 90, "trade_id", description="Executed trades"),
    TopicDecl(
        "posttrade", "settlement", 1, 6, 90, "trade_id", description="Confirmation and settlement"
    ),
    TopicDecl(
        "risk", "alerts", 1, 3, 30, "tenant_id", description="Limit breaches and kill switch"
    ),
    TopicDecl(
        "admin",
        "changes",
        1,
        3,
        None,
        "entity_id",
        compacted=True,
        description="Reference data and configuration changes (latest per key)",
    ),
    TopicDecl(
        "identity",
        "audit",
        1,
        3,
        90,
        "tenant_id",
        description="Logins, grants and entitlement changes",
    ),
    TopicDecl("ops", "probes", 1, 3, 1, "probe_id", description="Diagnostics and benchmarks"),
)

TOPICS: dict[str, TopicDecl] = {decl.logical: decl for decl in _DECLS}

DLQ_PARTITIONS = 1
DLQ_RETENTION_DAYS = 30


def declared(logical: str) -> TopicDecl:
    """The declaration of a logical topic such as `rfq.lifecycle.v1`."""
    try:
        return TOPICS[logical]
    except KeyError:
        raise UnknownTopic(f"topic {logical!r} is not declared in eventbus/topics.py") from None


@functools.lru_cache(maxsize=1024)
def topic_name(logical: str, env: str) -> str:
    """Physical name of a declared topic, e.g. `dev.rfq.lifecycle.v1` (cached: the declarations
    are static and every produced event asks)."""
    return declared(logical).name(env)


def dlq_topic(consumer: str, env: str) -> str:
    """Name of a consumer's dead-letter topic: `<env>.dlq.<consumer>.v1`."""
    if not _NAME_PART.match(consumer):
        raise ValueError(f"consumer name {consumer!r} must match {_NAME_PART.pattern}")
    return f"{env}.dlq.{consumer}.v1"


def dlq_spec(consumer: str, env: str) -> TopicSpec:
    # One partition: DLQ volume is low and operators read it in failure order.
    return TopicSpec(dlq_topic(consumer, env), DLQ_PARTITIONS, DLQ_RETENTION_DAYS * _DAY_MS)


def all_specs(env: str, dlq_consumers: Sequence[str] = ()) -> list[TopicSpec]:
    """Every declared topic (plus the DLQs of the given consumers) for an environment."""
    specs = [decl.spec(env) for decl in _DECLS]
    return specs + [dlq_spec(name, env) for name in dlq_consumers]


async def ensure_topics(bus: EventBus, env: str, dlq_consumers: Sequence[str] = ()) -> None:
    """Create every declared topic that is missing; safe to call at every start-up."""
    await bus.ensure_topics(all_specs(env, dlq_consumers))

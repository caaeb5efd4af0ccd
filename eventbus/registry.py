"""Registry of event types: (event_type, major version) -> payload message, topic and key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

from eventbus.errors import RegistryError, UnknownEventType
from eventbus.topics import declared

M = TypeVar("M", bound=Message)


def key_field(name: str) -> Callable[[Message], str]:
    """A partition-key function reading one string field of the payload, e.g. `rfq_id`."""

    def key(payload: Message) -> str:
        return str(getattr(payload, name))

    key.__name__ = f"key_{name}"
    key.__doc__ = name
    return key


@dataclass(frozen=True)
class EventSpec(Generic[M]):
    """What the platform knows about one event type: its schema, topic, key and parties."""

    event_type: str
    version: int
    message: type[M]
    # Logical topic (`rfq.lifecycle.v1`) declared in eventbus/topics.py.
    topic: str
    # Partition key of a payload; the entity key of PRD §9.5 (rfq_id, order_id, ...).
    partition_key: Callable[[M], str]
    producer: str
    entity_type: str
    consumers: tuple[str, ...] = ()
    description: str = ""
    # Human-readable name of the key for the catalogue, e.g. "rfq_id".
    key_name: str = field(default="")

    @property
    def payload_type(self) -> str:
        return str(self.message.DESCRIPTOR.full_name)

    @property
    def key_label(self) -> str:
        return self.key_name or (self.partition_key.__doc__ or "").strip() or "custom"

    def key_for(self, payload: M) -> str:
        return self.partition_key(payload)


class EventRegistry:
    """Lookup by (event_type, major) for consumers and by payload message for producers."""

    def __init__(self) -> None:
        self._by_type: dict[tuple[str, int], EventSpec[Any]] = {}
        self._by_payload: dict[str, EventSpec[Any]] = {}

    def register(self, spec: EventSpec[M]) -> EventSpec[M]:
        """Add a spec; registering the identical spec twice is harmless (module re-import)."""
        _validate(spec)
        ident = (spec.event_type, spec.version)
        existing = self._by_type.get(ident) or self._by_payload.get(spec.payload_type)
        if existing is not None:
            if _same(existing, spec):
                return spec
            raise RegistryError(
                f"{spec.event_type} v{spec.version} ({spec.payload_type}) conflicts with "
                f"{existing.event_type} v{existing.version} ({existing.payload_type})"
            )
        self._by_type[ident] = spec
        self._by_payload[spec.payload_type] = spec
        return spec

    def lookup(self, event_type: str, version: int) -> EventSpec[Any]:
        try:
            return self._by_type[(event_type, version)]
        except KeyError:
            raise UnknownEventType(f"no event registered as {event_type!r} v{version}") from None

    def for_payload(self, payload: Message | type[Message] | str) -> EventSpec[Any]:
        """The spec of a payload message (instance, class or full protobuf name)."""
        name = payload if isinstance(payload, str) else str(payload.DESCRIPTOR.full_name)
        try:
            return self._by_payload[name]
        except KeyError:
            raise UnknownEventType(f"no event registered for payload {name}") from None

    def specs(self) -> list[EventSpec[Any]]:
        """Every spec, sorted by topic, event type and version (deterministic catalogue)."""
        return sorted(self._by_type.values(), key=lambda s: (s.topic, s.event_type, s.version))

    def __iter__(self) -> Iterator[EventSpec[Any]]:
        return iter(self.specs())

    def __len__(self) -> int:
        return len(self._by_type)


def _validate(spec: EventSpec[Any]) -> None:
    if not spec.event_type or not spec.event_type[0].isupper():
        raise RegistryError(f"event_type {spec.event_type!r} must be a PascalCase past-tense fact")
    if spec.version < 1:
        raise RegistryError(f"{spec.event_type}: version must be >= 1")
    decl = declared(spec.topic)
    if decl.major != spec.version:
        # A breaking change (new major) lives on a new topic version (PRD §9.11).
        raise RegistryError(f"{spec.event_type} v{spec.version} cannot go to {spec.topic}")
    if not spec.producer or not spec.entity_type:
        raise RegistryError(f"{spec.event_type}: producer and entity_type are mandatory")


def _same(a: EventSpec[Any], b: EventSpec[Any]) -> bool:
    return (a.event_type, a.version, a.payload_type, a.topic, a.producer) == (
        b.event_type,
        b.version,
        b.payload_type,
        b.topic,
        b.producer,
    )


REGISTRY = EventRegistry()


def register(spec: EventSpec[M]) -> EventSpec[M]:
    """Register an event in the process-wide registry (call at import of an events module)."""
    return REGISTRY.register(spec)

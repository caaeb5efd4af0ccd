"""Choose the bus backend from the settings profile: Kafka for real/prod, embedded log otherwise."""

from __future__ import annotations

from core.settings import Profile, Settings
from eventbus.bus import EventBus
from eventbus.embedded import EmbeddedBus
from eventbus.kafka import KafkaBus


def create_bus(settings: Settings, *, client_id: str = "orion") -> EventBus:
    """A not-yet-started bus for this process; call `await bus.start()` before use."""
    if settings.profile is Profile.EMBEDDED:
        return EmbeddedBus(settings.data_dir / "eventlog.db")
    # One broker locally; prod (MSK) replicates across three.
    replication = 3 if settings.profile is Profile.PROD else 1
    return KafkaBus(
        settings.effective_kafka_bootstrap(),
        client_id=client_id,
        replication_factor=replication,
    )

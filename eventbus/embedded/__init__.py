"""The embedded durable log (SQLite), the one-machine backend of eventbus.bus.EventBus."""

from eventbus.embedded.bus import EmbeddedBus
from eventbus.embedded.consumer import EmbeddedConsumer
from eventbus.embedded.store import partition_for

__all__ = ["EmbeddedBus", "EmbeddedConsumer", "partition_for"]

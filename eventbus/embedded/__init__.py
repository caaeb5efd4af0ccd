"""The embedded durable log (SQLite), the one-machine backend of eventbus.bus.EventBus."""

from eventbus.bus import partition_for
from eventbus.embedded.bus import EmbeddedBus
from eventbus.embedded.consumer import EmbeddedConsumer

__all__ = ["EmbeddedBus", "EmbeddedConsumer", "partition_for"]

"""Typed errors of the event backbone: retryable (transient) versus non-retryable (to the DLQ)."""

from __future__ import annotations


class EventBusError(Exception):
    """Base of every error raised by the event backbone."""


class RetryableError(EventBusError):
    """A transient problem (broker unavailable, rebalance): trying again later may succeed."""


class NonRetryableError(EventBusError):
    """A problem retrying cannot fix (bad data, unknown schema): the record goes to the DLQ."""


class EnvelopeError(NonRetryableError):
    """An envelope is invalid: a mandatory field is missing or inconsistent."""


class MissingContextError(EnvelopeError):
    """tenant_id or correlation_id is missing or blank; nothing is published."""


class DecodeError(NonRetryableError):
    """Record bytes are not a valid envelope, or the payload does not parse."""


class UnknownEventType(NonRetryableError):
    """No registered payload message for this event type and major version."""


class RegistryError(EventBusError):
    """Conflicting or invalid event registration (a programming error, found at import)."""


class UnknownTopic(EventBusError):
    """A logical topic name that is not declared in eventbus/topics.py."""


class BusUnavailable(RetryableError):
    """The log (broker or embedded file) cannot be reached or is not started."""


class CommitFailed(RetryableError):
    """An offset commit was refused, e.g. the partition was reassigned by a rebalance."""

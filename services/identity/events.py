"""Identity events on identity.audit.v1 (keyed by tenant) and how they enter the outbox."""

from __future__ import annotations

import uuid

from google.protobuf.message import Message

from core.logging import correlation_id_var
from eventbus.envelope import build_envelope
from eventbus.outbox import UnitOfWork
from eventbus.registry import EventSpec, key_field, register
from orion.identity.v1 import events_pb2 as pb

PRODUCER = "identity-service"
TOPIC = "identity.audit.v1"
# Failed logins for unknown usernames still need a tenant on the envelope (FR-TENANT-02).
UNKNOWN_TENANT = "_unknown"


def _spec(message: type[Message], entity: str, description: str) -> EventSpec[Message]:
    return register(
        EventSpec(
            event_type=message.DESCRIPTOR.name,
            version=1,
            message=message,
            topic=TOPIC,
            partition_key=key_field("tenant_id"),
            producer=PRODUCER,
            entity_type=entity,
            consumers=(),
            description=description,
            key_name="tenant_id",
        )
    )


SPECS = (
    _spec(pb.UserLoggedIn, "User", "A user logged in at the identity provider."),
    _spec(pb.UserLoggedOut, "User", "A user logged out; the session's tokens are revoked."),
    _spec(pb.LoginFailed, "User", "A login attempt failed (bad password, locked, disabled)."),
    _spec(pb.RefreshTokenReuseDetected, "User", "A rotated refresh token was replayed."),
    _spec(pb.TenantCreated, "Tenant", "An administrator created a tenant."),
    _spec(pb.UserChanged, "User", "An administrator created or changed a user."),
    _spec(pb.UiPreferencesSaved, "UiPreferences", "A user saved workstation preferences."),
)


def emit(uow: UnitOfWork, payload: Message, *, entity_id: str, sequence: int) -> None:
    """Queue an identity event in the caller's transaction (committed with the state change)."""
    tenant = str(getattr(payload, "tenant_id", "")) or UNKNOWN_TENANT
    envelope = build_envelope(
        payload,
        sequence=sequence,
        entity_id=entity_id,
        tenant_id=tenant,
        correlation_id=correlation_id_var.get() or str(uuid.uuid4()),
        producer=PRODUCER,
    )
    uow.add_event(envelope)

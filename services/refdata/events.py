"""Registers the reference-data events with the bus registry (topic admin.changes.v1)."""

from __future__ import annotations

from google.protobuf.message import Message

from eventbus.registry import EventSpec, register
from orion.refdata.v1 import events_pb2 as pb

PRODUCER = "refdata-service"
TOPIC = "admin.changes.v1"


def _instrument_key(payload: Message) -> str:
    """instrument_id"""
    return str(payload.instrument.instrument_id)  # type: ignore[attr-defined]


INSTRUMENT_UPDATED = register(
    EventSpec(
        event_type="InstrumentUpdated",
        version=1,
        message=pb.InstrumentUpdated,
        topic=TOPIC,
        partition_key=_instrument_key,
        producer=PRODUCER,
        entity_type="Instrument",
        description="An instrument was created or changed (full new state).",
        key_name="instrument_id",
    )
)

"""Registers the RFQ events (lifecycle and quotes topics, keyed by rfq_id) with the bus registry."""

from __future__ import annotations

from google.protobuf.message import Message

from eventbus.registry import EventSpec, key_field, register
from orion.rfq.v1 import events_pb2 as pb

PRODUCER = "rfq-service"
LP_PRODUCER = "lp-bots"
LIFECYCLE = "rfq.lifecycle.v1"
QUOTES = "rfq.quotes.v1"


def _nested_rfq_id(payload: Message) -> str:
    """rfq_id"""
    return str(payload.quote.rfq_id)  # type: ignore[attr-defined]


def _lifecycle(name: str, message: type[Message], consumers: tuple[str, ...], doc: str) -> None:
    nested = name in ("QuoteReceived",)
    register(
        EventSpec(
            event_type=name, version=1, message=message, topic=LIFECYCLE,
            partition_key=_nested_rfq_id if nested else key_field("rfq_id"),
            producer=PRODUCER, entity_type="Rfq", consumers=consumers, description=doc,
            key_name="rfq_id",
        )
    )  # fmt: skip


BLOTTER = ("rfq-blotter-projector",)
_lifecycle("RfqCreated", pb.RfqCreated, BLOTTER, "An RFQ passed pre-trade checks.")
_lifecycle("RfqSent", pb.RfqSent, ("lp-bots", *BLOTTER), "An RFQ was routed to eligible LPs.")
_lifecycle("QuoteReceived", pb.QuoteReceived, BLOTTER, "A quote joined an RFQ's book.")
_lifecycle("QuoteDiscarded", pb.QuoteDiscarded, BLOTTER, "A late or duplicate quote was refused.")
_lifecycle(
    "QuoteAcceptanceRequested", pb.QuoteAcceptanceRequested, ("lp-bots",),
    "The requester took a quote subject to the LP's last look.",
)  # fmt: skip
_lifecycle(
    "QuoteAccepted", pb.QuoteAccepted, ("execution-service", "lp-bots", *BLOTTER),
    "A firm acceptance; execution turns it into exactly one trade.",
)  # fmt: skip
_lifecycle(
    "QuoteAcceptanceRejected", pb.QuoteAcceptanceRejected, BLOTTER,
    "The LP refused the acceptance at last look.",
)  # fmt: skip
_lifecycle("RfqExpired", pb.RfqExpired, BLOTTER, "An RFQ reached its expiry while open.")
_lifecycle("RfqCancelled", pb.RfqCancelled, BLOTTER, "The requester cancelled an RFQ.")
_lifecycle("RfqTraded", pb.RfqTraded, BLOTTER, "The accepted quote became a trade.")
_lifecycle("RiskLimitBreached", pb.RiskLimitBreached, BLOTTER, "A pre-trade check refused an RFQ.")

for _name, _message, _doc in (
    ("QuoteSubmitted", pb.QuoteSubmitted, "An LP bot priced an RFQ."),
    ("LastLookDecided", pb.LastLookDecided, "An LP bot confirmed or refused an acceptance."),
):
    register(
        EventSpec(
            event_type=_name, version=1, message=_message, topic=QUOTES,
            partition_key=key_field("rfq_id"), producer=LP_PRODUCER, entity_type="Quote",
            consumers=(PRODUCER,), description=_doc, key_name="rfq_id",
        )
    )  # fmt: skip

"""rm_rfq_blotter: one JSON row per RFQ in Redis, folded from lifecycle events, sequence-guarded."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import orjson

from eventbus.readmodel import ReadModelStore
from eventbus.replay import RebuildableReadModel, register_read_model
from orion.common.v1.envelope_pb2 import Envelope
from orion.rfq.v1 import rfq_pb2

MODEL = "rm_rfq_blotter"
_STATE = {
    "RfqCreated": "CREATED",
    "RfqSent": "SENT",
    "QuoteReceived": "QUOTING",
    "QuoteAcceptanceRequested": "ACCEPTED",
    "QuoteAccepted": "ACCEPTED",
    "RfqExpired": "EXPIRED",
    "RfqCancelled": "CANCELLED",
    "RfqTraded": "TRADED",
    "RiskLimitBreached": "REJECTED",
}


def blotter_key(tenant_id: str, rfq_id: str) -> str:
    return f"{tenant_id}:{rfq_id}"


def _better(side: str, price: str, best: str | None) -> bool:
    if best is None:
        return True
    return Decimal(price) < Decimal(best) if side == "BUY" else Decimal(price) > Decimal(best)


def _fold_quote(row: dict[str, Any], quote: rfq_pb2.Quote) -> None:
    row["quote_count"] = row.get("quote_count", 0) + 1
    # Best price seen (display only; the RFQ service ranks live quotes for decisions).
    if _better(row.get("side", "BUY"), quote.price, row.get("best_price")):
        row["best_price"], row["best_lp_id"] = quote.price, quote.lp_id


def fold(row: dict[str, Any], event_type: str, payload: Any) -> dict[str, Any]:
    """Apply one lifecycle event to a blotter row (pure)."""
    if event_type == "RfqCreated":
        row.update(
            rfq_id=payload.rfq_id,
            requester_id=payload.requester_id,
            instrument_id=payload.instrument_id,
            side=rfq_pb2.Side.Name(payload.side)[5:],
            quantity=payload.quantity,
            expires_at=payload.expires_at.ToJsonString(),
            created_at=payload.created_at.ToJsonString(),
            mid=payload.mid,
        )
    elif event_type == "QuoteReceived":
        _fold_quote(row, payload.quote)
    elif event_type in ("QuoteAccepted", "QuoteAcceptanceRequested"):
        row["accepted_quote_id"], row["accepted_price"] = (
            payload.quote.quote_id,
            payload.quote.price,
        )
    elif event_type == "QuoteAcceptanceRejected":
        row["state"] = rfq_pb2.RfqState.Name(payload.resulting_state)[10:]
        row["reason"] = f"last look: {payload.reason}"
    elif event_type == "RfqTraded":
        row["trade_id"] = payload.trade_id
    elif event_type in ("RfqCancelled", "RiskLimitBreached"):
        row["reason"] = payload.reason
    if event_type in _STATE and not (event_type == "QuoteReceived" and row.get("state") != "SENT"):
        row["state"] = _STATE[event_type]
    return row


# Rows this process last wrote, per store: (sequence, value) by key, the most recent few
# thousand. The row after event N is a pure fold of the RFQ's events up to N (a rebuilt model is
# byte-identical), so when event N+1 arrives and N is what was written here, the Redis read
# (a pointer GET and an HMGET: two of the three round trips per event) can be skipped.
_LAST_ROWS: weakref.WeakKeyDictionary[Any, OrderedDict[str, tuple[int, bytes]]] = (
    weakref.WeakKeyDictionary()
)
LAST_ROWS_KEPT = 4096


def _last_rows(store: ReadModelStore) -> OrderedDict[str, tuple[int, bytes]]:
    rows = _LAST_ROWS.get(store)
    if rows is None:
        rows = _LAST_ROWS[store] = OrderedDict()
    return rows


async def _current(store: ReadModelStore, key: str, sequence: int) -> tuple[int, bytes] | None:
    """(sequence, value) of the stored row as far as event `sequence` needs to know it."""
    known = _last_rows(store).get(key)
    if known is not None and known[0] + 1 >= sequence:
        return known  # the predecessor (or a newer row: then the event is a repeat)
    stored = await store.get(MODEL, key)
    return None if stored is None else (stored.sequence, stored.value)


async def project(envelope: Envelope, payload: Any, store: ReadModelStore) -> None:
    """Read, fold, write only if newer: redelivered or replayed events change nothing."""
    if envelope.event_type not in _STATE and envelope.event_type not in (
        "QuoteAcceptanceRejected",
        "QuoteDiscarded",
    ):
        return
    key = blotter_key(envelope.tenant_id, envelope.entity.id)
    current = await _current(store, key, envelope.entity.sequence)
    if current is not None and current[0] >= envelope.entity.sequence:
        return
    row: dict[str, Any] = {} if current is None else orjson.loads(current[1])
    if envelope.event_type == "QuoteDiscarded":
        row["discarded_count"] = row.get("discarded_count", 0) + 1
    else:
        fold(row, envelope.event_type, payload)
    row.update(
        tenant_id=envelope.tenant_id,
        correlation_id=envelope.correlation_id,
        sequence=envelope.entity.sequence,
        updated_at=envelope.occurred_at.ToJsonString(),
    )
    value = orjson.dumps(row, option=orjson.OPT_SORT_KEYS)
    written = await store.apply(MODEL, key, envelope.entity.sequence, value)
    _remember(store, key, envelope.entity.sequence, value if written else None)


def _remember(store: ReadModelStore, key: str, sequence: int, value: bytes | None) -> None:
    rows = _last_rows(store)
    if value is None:  # someone stored a newer row: read it next time
        rows.pop(key, None)
        return
    rows[key] = (sequence, value)
    rows.move_to_end(key)
    if len(rows) > LAST_ROWS_KEPT:
        rows.popitem(last=False)


RFQ_BLOTTER = register_read_model(
    RebuildableReadModel(
        name=MODEL,
        topics=("rfq.lifecycle.v1",),
        projector=project,
        description="One row per RFQ: state, best quote, acceptance, trade, correlation id.",
    )
)

"""rm_trade_blotter: one JSON row per trade in Redis, from TradeExecuted, sequence-guarded."""

from __future__ import annotations

from typing import Any

import orjson
from google.protobuf.json_format import MessageToDict

from eventbus.readmodel import ReadModelStore
from eventbus.replay import RebuildableReadModel, register_read_model
from orion.common.v1.envelope_pb2 import Envelope

MODEL = "rm_trade_blotter"


def blotter_key(tenant_id: str, trade_id: str) -> str:
    return f"{tenant_id}:{trade_id}"


async def project(envelope: Envelope, payload: Any, store: ReadModelStore) -> None:
    if envelope.event_type != "TradeExecuted":
        return
    row = MessageToDict(payload.trade, preserving_proto_field_name=True)
    row["correlation_id"] = envelope.correlation_id
    value = orjson.dumps(row, option=orjson.OPT_SORT_KEYS)
    key = blotter_key(envelope.tenant_id, payload.trade.trade_id)
    await store.apply(MODEL, key, envelope.entity.sequence, value)


TRADE_BLOTTER = register_read_model(
    RebuildableReadModel(
        name=MODEL,
        topics=("execution.trades.v1",),
        projector=project,
        description="One row per executed trade, with its correlation id.",
    )
)

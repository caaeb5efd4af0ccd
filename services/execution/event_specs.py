"""Registers TradeExecuted (execution.trades.v1, keyed by trade_id) with the bus registry."""

from __future__ import annotations

from google.protobuf.message import Message

from eventbus.registry import EventSpec, register
from orion.execution.v1.execution_pb2 import TradeExecuted


def _trade_id(payload: Message) -> str:
    """trade_id"""
    return str(payload.trade.trade_id)  # type: ignore[attr-defined]


TRADE_EXECUTED = register(
    EventSpec(
        event_type="TradeExecuted",
        version=1,
        message=TradeExecuted,
        topic="execution.trades.v1",
        partition_key=_trade_id,
        producer="execution-service",
        entity_type="Trade",
        consumers=("rfq-service", "lp-bots", "trade-blotter-projector", "posttrade"),
        description="An accepted quote became an immutable trade.",
        key_name="trade_id",
    )
)

"""Reads the trade blotter read model (rm_trade_blotter, Redis or in-process), tenant-scoped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from eventbus.readmodel import ReadModelStore

MODEL = "rm_trade_blotter"  # services/execution/projections.py, keyed "<tenant>:<trade id>"
MAX_TRADES = 500


@dataclass(frozen=True)
class TradeRow:
    """One blotter row as the execution projector wrote it (proto field names)."""

    data: dict[str, Any]

    @property
    def trade_id(self) -> str:
        return str(self.data.get("trade_id", ""))

    @property
    def executed_at(self) -> str:
        return str(self.data.get("executed_at", ""))


class TradeBlotter:
    """Trades of one tenant, newest first; reads only (the projector owns the writes)."""

    def __init__(self, store: ReadModelStore) -> None:
        self.store = store

    async def get(self, tenant_id: str, trade_id: str) -> TradeRow | None:
        stored = await self.store.get(MODEL, f"{tenant_id}:{trade_id}")
        return None if stored is None else TradeRow(orjson.loads(stored.value))

    async def list(self, tenant_id: str, limit: int = 100) -> list[TradeRow]:
        prefix = f"{tenant_id}:"
        entries = await self.store.entries(MODEL)
        rows = [TradeRow(orjson.loads(v.value)) for k, v in entries.items() if k.startswith(prefix)]
        rows.sort(key=lambda r: (r.executed_at, r.trade_id), reverse=True)
        return rows[: max(0, min(limit, MAX_TRADES))]

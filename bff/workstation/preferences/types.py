"""UiPreferences as the workstation reads it, the typed input it saves, and the result union."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from bff.grpc.preferences import StoredPreferences
from bff.workstation.rfq.types import InvalidInput, OrionError


@strawberry.enum(description="Workstation colour theme")
class UiTheme(Enum):
    LIGHT = "light"
    DARK = "dark"


@strawberry.type(description="A saved watchlist: its instruments in display order")
class WatchlistPreference:
    id: str
    name: str
    instrument_ids: list[str]


@strawberry.type(description="One market-watch grid column: order is the list order")
class GridColumnPreference:
    col_id: str
    width: int | None = None
    hide: bool | None = None
    pinned: str | None = strawberry.field(default=None, description="left, right or null")
    sort: str | None = strawberry.field(default=None, description="asc, desc or null")
    sort_index: int | None = None


@strawberry.type(description="The caller's saved workstation preferences (version 0: none yet)")
class UiPreferences:
    version: int
    updated_at: datetime | None
    theme: UiTheme | None
    watchlists: list[WatchlistPreference]
    active_watchlist_id: str | None
    pinned_instrument_ids: list[str]
    market_watch_columns: list[GridColumnPreference]

    @classmethod
    def from_stored(cls, stored: StoredPreferences) -> UiPreferences:
        """Defensive: a field the BFF cannot read is left out, never a failed query."""
        try:
            doc: dict[str, Any] = json.loads(stored.document_json or "{}")
        except ValueError:
            doc = {}
        return cls(
            version=stored.version,
            updated_at=datetime.fromisoformat(stored.updated_at) if stored.updated_at else None,
            theme=UiTheme(doc["theme"]) if doc.get("theme") in ("light", "dark") else None,
            watchlists=[_watchlist(w) for w in doc.get("watchlists", []) if isinstance(w, dict)],
            active_watchlist_id=doc.get("activeWatchlistId"),
            pinned_instrument_ids=[str(i) for i in doc.get("pinnedInstrumentIds", [])],
            market_watch_columns=[
                _column(c) for c in doc.get("marketWatchColumns", []) if isinstance(c, dict)
            ],
        )


def _watchlist(raw: dict[str, Any]) -> WatchlistPreference:
    ids = [str(i) for i in raw.get("instrumentIds", [])]
    return WatchlistPreference(
        id=str(raw.get("id", "")), name=str(raw.get("name", "")), instrument_ids=ids
    )


def _column(raw: dict[str, Any]) -> GridColumnPreference:
    return GridColumnPreference(
        col_id=str(raw.get("colId", "")),
        width=raw.get("width"),
        hide=raw.get("hide"),
        pinned=raw.get("pinned"),
        sort=raw.get("sort"),
        sort_index=raw.get("sortIndex"),
    )


@strawberry.input(description="A watchlist to save")
class WatchlistInput:
    id: str
    name: str
    instrument_ids: list[str]


@strawberry.input(description="A market-watch column to save (AG Grid column state subset)")
class GridColumnInput:
    col_id: str
    width: int | None = None
    hide: bool | None = None
    pinned: str | None = None
    sort: str | None = None
    sort_index: int | None = None


@strawberry.input(description="The whole preferences document; replaces the saved one")
class SaveUiPreferencesInput:
    expected_version: int = strawberry.field(
        description="The version you loaded (0 when none was saved); a stale one is a conflict"
    )
    watchlists: list[WatchlistInput]
    active_watchlist_id: str | None = None
    pinned_instrument_ids: list[str] = strawberry.field(default_factory=list)
    market_watch_columns: list[GridColumnInput] = strawberry.field(default_factory=list)
    theme: UiTheme | None = None


@strawberry.type(description="Someone saved since the version you named: reload and merge")
class PreferencesVersionConflict(OrionError):
    current_version: int


SaveUiPreferencesResult = Annotated[
    UiPreferences | PreferencesVersionConflict | InvalidInput,
    strawberry.union("SaveUiPreferencesResult"),
]

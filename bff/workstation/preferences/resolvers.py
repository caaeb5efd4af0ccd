"""uiPreferences / saveUiPreferences: the caller's own document, through the identity service."""

from __future__ import annotations

import json

import strawberry

from bff.common.fields import field, mutation
from bff.context import Info
from bff.grpc.errors import DownstreamUnavailable
from bff.grpc.preferences import PreferencesApi, PreferencesRefused
from bff.workstation.preferences.types import (
    GridColumnInput,
    PreferencesVersionConflict,
    SaveUiPreferencesInput,
    SaveUiPreferencesResult,
    UiPreferences,
)
from bff.workstation.rfq.types import InvalidInput

# Limits of the typed input; the service caps the serialised document at 64 KiB on top.
MAX_WATCHLISTS = 20
MAX_INSTRUMENTS = 200
MAX_PINNED = 50
MAX_COLUMNS = 40
MAX_TEXT = 64
PINNED = {None, "left", "right"}
SORTS = {None, "asc", "desc"}


def preferences_api(info: Info) -> PreferencesApi:
    api = info.context.downstreams.preferences
    if api is None:
        raise DownstreamUnavailable("identity", "ui preferences are not configured in this BFF")
    return api


def _texts_ok(values: list[str]) -> bool:
    return all(0 < len(v) <= MAX_TEXT for v in values)


def _column_problem(c: GridColumnInput) -> str | None:
    if not _texts_ok([c.col_id]) or c.pinned not in PINNED or c.sort not in SORTS:
        return (
            f"column {c.col_id[:MAX_TEXT]!r}: colId 1..64 chars, pinned left|right, sort asc|desc"
        )
    if c.width is not None and not 0 < c.width <= 2000:
        return f"column {c.col_id}: width in 1..2000"
    return None


def problem(data: SaveUiPreferencesInput) -> str | None:
    """Why the input is refused (first reason), or None."""
    lists = data.watchlists
    if data.expected_version < 0:
        return "expectedVersion must be >= 0"
    if not 0 < len(lists) <= MAX_WATCHLISTS:
        return f"1..{MAX_WATCHLISTS} watchlists"
    if len({w.id for w in lists}) != len(lists):
        return "watchlist ids must be unique"
    for w in lists:
        if not _texts_ok([w.id, w.name]) or len(w.instrument_ids) > MAX_INSTRUMENTS:
            return f"watchlist {w.id[:MAX_TEXT]!r}: id, name 1..64 chars, <= {MAX_INSTRUMENTS} ids"
        if not _texts_ok(w.instrument_ids):
            return f"watchlist {w.id!r}: instrument ids 1..64 chars"
    if len(data.pinned_instrument_ids) > MAX_PINNED or not _texts_ok(data.pinned_instrument_ids):
        return f"<= {MAX_PINNED} pinned instruments, ids 1..64 chars"
    if len(data.market_watch_columns) > MAX_COLUMNS:
        return f"<= {MAX_COLUMNS} columns"
    return next(filter(None, map(_column_problem, data.market_watch_columns)), None)


def document(data: SaveUiPreferencesInput) -> str:
    """The stored JSON: the workstation's own shape (camelCase), canonical key order."""
    doc = {
        "theme": data.theme.value if data.theme else None,
        "watchlists": [
            {"id": w.id, "name": w.name, "instrumentIds": w.instrument_ids} for w in data.watchlists
        ],
        "activeWatchlistId": data.active_watchlist_id,
        "pinnedInstrumentIds": data.pinned_instrument_ids,
        "marketWatchColumns": [
            {k: v for k, v in _column_json(c).items() if v is not None}
            for c in data.market_watch_columns
        ],
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def _column_json(c: GridColumnInput) -> dict[str, object]:
    return {
        "colId": c.col_id,
        "width": c.width,
        "hide": c.hide,
        "pinned": c.pinned,
        "sort": c.sort,
        "sortIndex": c.sort_index,
    }


@strawberry.type
class PreferencesQueries:
    @field("The caller's saved workstation preferences (version 0 and empty when none yet)")
    async def ui_preferences(self, info: Info) -> UiPreferences:
        who = info.context.require_principal()
        return UiPreferences.from_stored(await preferences_api(info).get(who))


@strawberry.type
class PreferencesMutations:
    @mutation("Save the caller's preferences; a stale expectedVersion is a version conflict")
    async def save_ui_preferences(
        self, info: Info, input: SaveUiPreferencesInput
    ) -> SaveUiPreferencesResult:
        who = info.context.require_principal()
        corr = info.context.current_correlation_id()
        if (why := problem(input)) is not None:
            return InvalidInput(code="INVALID_PREFERENCES", message=why, correlation_id=corr)
        try:
            stored = await preferences_api(info).save(who, document(input), input.expected_version)
        except PreferencesRefused as exc:
            if exc.code == "VERSION_CONFLICT":
                current = exc.current_version if exc.current_version is not None else -1
                return PreferencesVersionConflict(
                    code=exc.code, message=exc.message, correlation_id=corr, current_version=current
                )
            return InvalidInput(code=exc.code, message=exc.message, correlation_id=corr)
        return UiPreferences.from_stored(stored)

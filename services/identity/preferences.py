"""Per-user workstation preferences (`ui_preferences`): one JSON document per (tenant, user).

The identity service owns them because it already owns the (tenant, user) key; the document is
the workstation's, so the service checks size and shape only. Every save is guarded by the
version the caller last saw (a lost race is a typed conflict, never a silent merge) and emits
`UiPreferencesSaved` through the outbox in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col

from core.db import Database, UtcDateTime, utc_now
from eventbus.outbox import UnitOfWork
from orion.identity.v1 import events_pb2 as pb
from services.identity.events import emit

# A workstation layout with 20 watchlists of 200 instruments is ~40 KiB of JSON.
MAX_DOCUMENT_BYTES = 64 * 1024
MAX_DEPTH = 8


class PreferencesError(Exception):
    code = "PREFERENCES_ERROR"


class PreferencesConflict(PreferencesError):
    """The stored version is not the one the caller saw: reload, reconcile, save again."""

    code = "VERSION_CONFLICT"

    def __init__(self, current: int, expected: int) -> None:
        super().__init__(f"preferences are at version {current}, not {expected}")
        self.current = current


class InvalidPreferences(PreferencesError):
    code = "INVALID_PREFERENCES"


class UiPreferencesRow(SQLModel, table=True):
    """Tenant key on the row and in the primary key: a user id alone never finds a document."""

    __tablename__ = "identity_ui_preferences"

    tenant_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(primary_key=True, max_length=64)
    document: dict[str, object] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    version: int = 0
    updated_at: datetime = Field(default_factory=utc_now, sa_column=Column(UtcDateTime))


@dataclass(frozen=True)
class UiPreferences:
    document: dict[str, object]
    version: int
    updated_at: datetime | None


def _depth(value: object, level: int = 1) -> int:
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def parse_document(raw: str) -> dict[str, object]:
    """A JSON object within the size and nesting limits, else InvalidPreferences."""
    if len(raw.encode()) > MAX_DOCUMENT_BYTES:
        raise InvalidPreferences(f"preferences exceed {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise InvalidPreferences(f"preferences are not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise InvalidPreferences("preferences must be a JSON object")
    if _depth(document) > MAX_DEPTH:
        raise InvalidPreferences(f"preferences nest deeper than {MAX_DEPTH} levels")
    return document


def canonical(document: dict[str, object]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


class UiPreferencesStore:
    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self.db = db
        self.clock = clock

    async def get(self, tenant_id: str, user_id: str) -> UiPreferences:
        """The user's document, or an empty one at version 0 when nothing was saved yet."""
        _require(tenant_id, user_id)
        async with self.db.tenant_session(tenant_id) as s:
            row = await s.get(UiPreferencesRow, (tenant_id, user_id))
        if row is None:
            return UiPreferences({}, 0, None)
        return UiPreferences(dict(row.document), row.version, row.updated_at)

    async def save(
        self, tenant_id: str, user_id: str, raw: str, expected_version: int
    ) -> UiPreferences:
        _require(tenant_id, user_id)
        document = parse_document(raw)
        now, version = self.clock(), expected_version + 1
        try:
            async with UnitOfWork(self.db, tenant_id=tenant_id) as uow:
                if expected_version == 0:
                    uow.session.add(UiPreferencesRow(
                        tenant_id=tenant_id, user_id=user_id, document=document,
                        version=1, updated_at=now,
                    ))  # fmt: skip
                    await uow.session.flush()  # a concurrent first save fails here (primary key)
                else:
                    await self._update(uow, tenant_id, user_id, document, expected_version, now)
                _emit(uow, tenant_id, user_id, version, canonical(document))
                await uow.commit()
        except IntegrityError as exc:
            raise PreferencesConflict(await self._version(tenant_id, user_id), 0) from exc
        return UiPreferences(document, version, now)

    async def _update(
        self,
        uow: UnitOfWork,
        tenant_id: str,
        user_id: str,
        document: dict[str, object],
        expected: int,
        now: datetime,
    ) -> None:
        """Compare-and-set on the version in one statement: two racing saves cannot both win."""
        table = UiPreferencesRow
        # `execute`, not sqlmodel's `exec`: a bulk UPDATE returns a CursorResult with rowcount.
        result: CursorResult[Any] = await uow.session.execute(  # type: ignore[assignment]
            update(table)
            .where(col(table.tenant_id) == tenant_id)
            .where(col(table.user_id) == user_id)
            .where(col(table.version) == expected)
            .values(document=document, version=expected + 1, updated_at=now)
        )
        if result.rowcount != 1:
            raise PreferencesConflict(await self._version(tenant_id, user_id), expected)

    async def _version(self, tenant_id: str, user_id: str) -> int:
        return (await self.get(tenant_id, user_id)).version


def _require(tenant_id: str, user_id: str) -> None:
    if not tenant_id or not user_id:
        raise ValueError("tenant_id and user_id are mandatory for preferences")


def _emit(uow: UnitOfWork, tenant_id: str, user_id: str, version: int, body: str) -> None:
    payload = pb.UiPreferencesSaved(
        tenant_id=tenant_id,
        user_id=user_id,
        version=version,
        size_bytes=len(body.encode()),
        sha256=hashlib.sha256(body.encode()).hexdigest(),
    )
    # The preferences version orders this user's preference events (entity = the user's document).
    emit(uow, payload, entity_id=f"{user_id}/ui-preferences", sequence=version)

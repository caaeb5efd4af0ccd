"""ui_preferences on real PostgreSQL: racing saves from one version, exactly one wins."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from core.db import Database
from eventbus.outbox import OutboxEvent
from orion.common.v1.envelope_pb2 import Envelope
from services.identity.preferences import PreferencesConflict, UiPreferencesStore

pytestmark = pytest.mark.integration


async def test_racing_saves_from_the_same_version_have_exactly_one_winner(db: Database) -> None:
    store = UiPreferencesStore(db)
    await store.save("acme", "u-1", json.dumps({"theme": "light"}), 0)

    async def save(n: int) -> int | None:
        try:
            return (await store.save("acme", "u-1", json.dumps({"n": n}), 1)).version
        except PreferencesConflict:
            return None

    outcomes = await asyncio.gather(*(save(n) for n in range(8)))
    assert [o for o in outcomes if o is not None] == [2]
    stored = await store.get("acme", "u-1")
    winner = outcomes.index(2)
    assert (stored.version, stored.document) == (2, {"n": winner})
    async with db.sessions() as s:
        rows = (await s.execute(select(OutboxEvent.value))).scalars().all()  # type: ignore[call-overload]
    versions = [Envelope.FromString(v).entity.sequence for v in rows]
    assert versions == [1, 2], "one event per successful save, none for the losers"


async def test_racing_first_saves_have_exactly_one_winner(db: Database) -> None:
    store = UiPreferencesStore(db)

    async def first(n: int) -> int:
        """The new version for the winner, the stored one the conflict reports for the others."""
        try:
            return -(await store.save("globex", "u-2", json.dumps({"n": n}), 0)).version
        except PreferencesConflict as conflict:
            return conflict.current

    outcomes = await asyncio.gather(*(first(n) for n in range(6)))
    assert sorted(outcomes) == [-1, 1, 1, 1, 1, 1]
    assert (await store.get("globex", "u-2")).version == 1
    assert (await store.get("acme", "u-2")).version == 0

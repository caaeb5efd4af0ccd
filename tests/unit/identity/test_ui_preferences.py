"""ui_preferences in the identity service: versioned per (tenant, user), audited via the outbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc import aio
from sqlmodel import select

from core.db import Database
from eventbus.outbox import OutboxEvent
from orion.common.v1.envelope_pb2 import Envelope
from orion.identity.v1 import events_pb2 as events
from orion.identity.v1 import ui_preferences_pb2 as pb
from orion.identity.v1 import ui_preferences_pb2_grpc as pb_grpc
from services.identity.preferences import (
    MAX_DOCUMENT_BYTES,
    InvalidPreferences,
    PreferencesConflict,
    UiPreferencesStore,
)
from services.identity.preferences_grpc import add_preferences_service

DOC = json.dumps({"watchlists": [{"id": "w1", "name": "G10", "instrumentIds": ["FX.EURUSD"]}]})


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[UiPreferencesStore]:
    db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'prefs.db'}")
    await db.create_all()
    try:
        yield UiPreferencesStore(db)
    finally:
        await db.dispose()


async def saved_events(db: Database) -> list[events.UiPreferencesSaved]:
    async with db.sessions() as s:
        found_rows = await s.execute(select(OutboxEvent).order_by(OutboxEvent.id))  # type: ignore[arg-type]
        rows = found_rows.scalars().all()
    found = []
    for row in rows:
        env = Envelope.FromString(row.value)
        assert env.event_type == "UiPreferencesSaved"
        payload = events.UiPreferencesSaved.FromString(env.payload)
        assert (env.tenant_id, env.entity.sequence) == (payload.tenant_id, payload.version)
        found.append(payload)
    return found


async def test_nothing_saved_reads_as_an_empty_document_at_version_0(
    store: UiPreferencesStore,
) -> None:
    prefs = await store.get("acme", "u-1")
    assert (prefs.document, prefs.version, prefs.updated_at) == ({}, 0, None)


async def test_each_save_bumps_the_version_and_emits_one_event_in_the_same_transaction(
    store: UiPreferencesStore,
) -> None:
    first = await store.save("acme", "u-1", DOC, 0)
    second = await store.save("acme", "u-1", json.dumps({"theme": "dark"}), 1)
    assert (first.version, second.version) == (1, 2)
    assert (await store.get("acme", "u-1")).document == {"theme": "dark"}
    saved = await saved_events(store.db)
    assert [(e.tenant_id, e.user_id, e.version) for e in saved] == [
        ("acme", "u-1", 1),
        ("acme", "u-1", 2),
    ]
    assert len(saved[0].sha256) == 64
    assert saved[0].size_bytes > 0


async def test_a_stale_version_is_a_conflict_and_changes_nothing(store: UiPreferencesStore) -> None:
    await store.save("acme", "u-1", DOC, 0)
    with pytest.raises(PreferencesConflict) as conflict:
        await store.save("acme", "u-1", "{}", 0)  # a second first save loses
    assert conflict.value.current == 1
    with pytest.raises(PreferencesConflict):
        await store.save("acme", "u-1", "{}", 5)
    assert (await store.get("acme", "u-1")).document == json.loads(DOC)
    assert len(await saved_events(store.db)) == 1


async def test_the_same_user_id_in_another_tenant_is_another_document(
    store: UiPreferencesStore,
) -> None:
    await store.save("acme", "u-1", DOC, 0)
    assert (await store.get("globex", "u-1")).version == 0
    assert (await store.save("globex", "u-1", "{}", 0)).version == 1
    assert (await store.get("acme", "u-1")).document == json.loads(DOC)


@pytest.mark.parametrize(
    "raw",
    [
        "[1, 2]",
        "not json",
        json.dumps({"x": "y" * MAX_DOCUMENT_BYTES}),
        '{"a":' * 9 + "1" + "}" * 9,
    ],
    ids=["not-an-object", "not-json", "too-large", "too-deep"],
)
async def test_malformed_documents_are_refused(store: UiPreferencesStore, raw: str) -> None:
    with pytest.raises(InvalidPreferences):
        await store.save("acme", "u-1", raw, 0)
    assert await saved_events(store.db) == []


@pytest.fixture
async def stub(store: UiPreferencesStore) -> AsyncIterator[pb_grpc.UiPreferencesServiceAsyncStub]:
    server = aio.server()
    add_preferences_service(server, store)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield pb_grpc.UiPreferencesServiceStub(channel)
    finally:
        await channel.close()
        await server.stop(0.5)


CALLER = (("x-tenant-id", "acme"), ("x-user-id", "u-1"))


async def test_grpc_saves_reads_and_reports_a_conflict_with_the_current_version(
    stub: pb_grpc.UiPreferencesServiceAsyncStub,
) -> None:
    saved = await stub.SaveUiPreferences(
        pb.SaveUiPreferencesRequest(document_json=DOC, expected_version=0), metadata=CALLER
    )
    assert saved.preferences.version == 1
    assert saved.preferences.updated_at
    got = await stub.GetUiPreferences(pb.GetUiPreferencesRequest(), metadata=CALLER)
    assert json.loads(got.preferences.document_json) == json.loads(DOC)
    with pytest.raises(aio.AioRpcError) as refused:
        await stub.SaveUiPreferences(
            pb.SaveUiPreferencesRequest(document_json="{}", expected_version=0), metadata=CALLER
        )
    assert refused.value.code() is grpc.StatusCode.ABORTED
    details = refused.value.details() or ""
    assert details.startswith("VERSION_CONFLICT")
    assert details.endswith("(current=1)")


async def test_grpc_refuses_a_call_without_tenant_and_user(
    stub: pb_grpc.UiPreferencesServiceAsyncStub,
) -> None:
    with pytest.raises(aio.AioRpcError) as refused:
        await stub.GetUiPreferences(pb.GetUiPreferencesRequest(), metadata=CALLER[:1])
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(aio.AioRpcError) as invalid:
        await stub.SaveUiPreferences(
            pb.SaveUiPreferencesRequest(document_json="[]"), metadata=CALLER
        )
    assert invalid.value.code() is grpc.StatusCode.INVALID_ARGUMENT

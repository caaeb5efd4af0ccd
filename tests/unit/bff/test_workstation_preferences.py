"""uiPreferences / saveUiPreferences through the workstation schema, over a real gRPC channel to
the identity service's UiPreferencesService (SQLite): typed input, limits, version conflicts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from grpc import aio

from bff.auth import Principal, Role
from bff.context import Loaders, OrionContext
from bff.grpc.breaker import CircuitBreaker
from bff.grpc.calls import CallPolicy, Downstream
from bff.grpc.channels import Downstreams
from bff.grpc.preferences import PreferencesClient
from bff.settings import BffLimits
from bff.workstation.schema import build_schema
from core.db import Database
from services.identity.preferences import UiPreferencesStore
from services.identity.preferences_grpc import add_preferences_service
from tests.unit.bff.fakes import FakeRefData

Run = Callable[..., Awaitable[Any]]

READ = """{ uiPreferences { version theme activeWatchlistId pinnedInstrumentIds
  watchlists { id name instrumentIds } marketWatchColumns { colId width sort } } }"""
SAVE = """mutation($input: SaveUiPreferencesInput!) { saveUiPreferences(input: $input) {
  __typename ... on UiPreferences { version watchlists { id name instrumentIds } theme }
  ... on PreferencesVersionConflict { code currentVersion correlationId }
  ... on InvalidInput { code message } } }"""


def doc(version: int, **extra: Any) -> dict[str, Any]:
    lists = [{"id": "w1", "name": "G10", "instrumentIds": ["FX.EURUSD", "FX.USDJPY"]}]
    return {"expectedVersion": version, "watchlists": lists, **extra}


def trader(tenant: str, sub: str = "u-trader") -> Principal:
    return Principal(sub=sub, tenant_id=tenant, roles=frozenset({Role.TRADER}))


@pytest.fixture
async def run(tmp_path: Path) -> AsyncIterator[Run]:
    db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'prefs.db'}")
    await db.create_all()
    server = aio.server()
    add_preferences_service(server, UiPreferencesStore(db))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    breaker = CircuitBreaker("identity", 5, 5.0)
    client = PreferencesClient(Downstream("identity", channel, CallPolicy(), breaker))
    schema = build_schema(BffLimits())

    async def execute(query: str, who: Principal, variables: dict[str, Any] | None = None) -> Any:
        refdata: Any = FakeRefData()
        downstreams = Downstreams(refdata=refdata, preferences=client)
        ctx = OrionContext("workstation", "corr-prefs", downstreams, Loaders.create(downstreams))
        ctx.principal = who
        result = await schema.execute(query, variable_values=variables, context_value=ctx)
        assert not result.errors, result.errors
        return result.data

    try:
        yield execute
    finally:
        await channel.close()
        await server.stop(0.5)
        await db.dispose()


async def test_first_read_is_empty_then_a_save_is_read_back_typed(run: Run) -> None:
    empty = (await run(READ, trader("acme")))["uiPreferences"]
    assert (empty["version"], empty["watchlists"], empty["theme"]) == (0, [], None)
    columns = [{"colId": "bid", "width": 90, "sort": "desc"}]
    saved = await run(
        SAVE,
        trader("acme"),
        {"input": doc(0, theme="DARK", marketWatchColumns=columns, pinnedInstrumentIds=["X"])},
    )
    assert saved["saveUiPreferences"]["__typename"] == "UiPreferences"
    back = (await run(READ, trader("acme")))["uiPreferences"]
    assert back["version"] == 1
    assert back["theme"] == "DARK"
    assert back["watchlists"][0]["instrumentIds"] == ["FX.EURUSD", "FX.USDJPY"]
    assert back["marketWatchColumns"] == [{"colId": "bid", "width": 90, "sort": "desc"}]
    assert back["pinnedInstrumentIds"] == ["X"]


async def test_a_stale_version_is_a_typed_conflict_with_the_current_version(run: Run) -> None:
    await run(SAVE, trader("acme"), {"input": doc(0)})
    await run(SAVE, trader("acme"), {"input": doc(1)})
    stale = (await run(SAVE, trader("acme"), {"input": doc(1)}))["saveUiPreferences"]
    assert stale == {
        "__typename": "PreferencesVersionConflict",
        "code": "VERSION_CONFLICT",
        "currentVersion": 2,
        "correlationId": "corr-prefs",
    }


async def test_preferences_are_per_user_and_per_tenant(run: Run) -> None:
    await run(SAVE, trader("acme"), {"input": doc(0)})
    assert (await run(READ, trader("globex")))["uiPreferences"]["version"] == 0
    assert (await run(READ, trader("acme", "u-other")))["uiPreferences"]["version"] == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"watchlists": []},
        {"watchlists": [{"id": "w", "name": "n", "instrumentIds": ["I"] * 201}]},
        {"watchlists": [{"id": "w", "name": "x" * 65, "instrumentIds": []}]},
        {"watchlists": [{"id": "w", "name": "a", "instrumentIds": []}] * 2},
        {"marketWatchColumns": [{"colId": "bid", "pinned": "middle"}]},
        {"pinnedInstrumentIds": [""]},
    ],
    ids=["no-list", "too-many-ids", "long-name", "duplicate-ids", "bad-pin", "empty-id"],
)
async def test_input_outside_the_limits_is_invalid_input_and_nothing_is_saved(
    run: Run, bad: dict[str, Any]
) -> None:
    refused = (await run(SAVE, trader("acme"), {"input": {**doc(0), **bad}}))["saveUiPreferences"]
    assert (refused["__typename"], refused["code"]) == ("InvalidInput", "INVALID_PREFERENCES")
    assert (await run(READ, trader("acme")))["uiPreferences"]["version"] == 0

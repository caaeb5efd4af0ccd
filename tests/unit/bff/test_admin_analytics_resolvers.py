"""Admin and analytics subgraph resolvers with a fake refdata client."""

from __future__ import annotations

from collections import Counter

from services.marketdata.domain.instruments import SEEDED_INSTRUMENTS
from services.refdata.store import ACME_ONLY
from tests.unit.bff.conftest import Executor

UPSERT = """
mutation ($input: InstrumentInput!) {
  upsertInstrument(input: $input) {
    __typename
    ... on InstrumentSaved { version instrument { id venues { id executionType } } }
    ... on InvalidInstrument { field message }
    ... on NotEntitled { message }
  }
}
"""


def _input(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "FX.EURCHF",
        "symbol": "EUR/CHF",
        "assetClass": "FX",
        "currency": "CHF",
        "tickSize": "0.00001",
        "lotSize": "1000000",
        "venueIds": ["RFQ-1"],
    }
    data.update(overrides)
    return data


async def test_admin_upsert_stores_under_callers_tenant_and_bumps_version(gql: Executor) -> None:
    token = gql.issuer.mint(sub="admin-1", roles=("ROLE_ADMIN",), tenant="globex")
    first = await gql.run("admin", UPSERT, {"input": _input()}, token=token)
    again = await gql.run("admin", UPSERT, {"input": _input(symbol="EURCHF")}, token=token)
    assert first.errors is None
    assert first.data["upsertInstrument"]["version"] == 1  # type: ignore[index]
    assert again.data["upsertInstrument"]["version"] == 2  # type: ignore[index]
    stored = gql.refdata.store.get("globex", "FX.EURCHF")
    assert stored is not None
    assert stored.symbol == "EURCHF"
    assert gql.refdata.store.get("acme", "FX.EURCHF") is None


async def test_trader_cannot_upsert_instruments(gql: Executor) -> None:
    result = await gql.run("admin", UPSERT, {"input": _input()}, token=gql.issuer.mint())
    assert result.data is None  # refused by the declared policy before the resolver runs
    assert result.errors[0].extensions["code"] == "FORBIDDEN"  # type: ignore[index]
    assert gql.refdata.store.get("acme", "FX.EURCHF") is None


async def test_invalid_instrument_input_names_the_field(gql: Executor) -> None:
    token = gql.issuer.mint(roles=("ROLE_ADMIN",))
    result = await gql.run("admin", UPSERT, {"input": _input(tickSize="0")}, token=token)
    payload = result.data["upsertInstrument"]  # type: ignore[index]
    assert payload == {
        "__typename": "InvalidInstrument",
        "field": "tickSize",
        "message": "must be > 0",
    }


async def test_venues_need_refdata_permission(gql: Executor) -> None:
    denied = await gql.run("admin", "{ venues { id } }", token=gql.issuer.mint())
    assert denied.errors[0].extensions["code"] == "FORBIDDEN"  # type: ignore[index]
    allowed = await gql.run(
        "admin", "{ venues { id } }", token=gql.issuer.mint(roles=("ROLE_ADMIN",))
    )
    assert {v["id"] for v in allowed.data["venues"]} == {"RFQ-1", "CLOB-1"}  # type: ignore[index]


async def test_tenant_entity_resolves_only_the_callers_tenant(gql: Executor) -> None:
    query = """query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on Tenant { id instrumentCount venueCount } } }"""
    reps = [{"__typename": "Tenant", "id": "acme"}, {"__typename": "Tenant", "id": "globex"}]
    result = await gql.run("admin", query, {"r": reps}, token=gql.issuer.mint(tenant="acme"))
    assert result.errors is None
    assert result.data["_entities"] == [  # type: ignore[index]
        {"id": "acme", "instrumentCount": len(SEEDED_INSTRUMENTS), "venueCount": 2},
        None,
    ]


async def test_user_entity_resolves_the_caller_and_nulls_others(gql: Executor) -> None:
    query = """query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on User { id username tenantId roles } } }"""
    reps = [{"__typename": "User", "id": "u-1"}, {"__typename": "User", "id": "u-2"}]
    token = gql.issuer.mint(sub="u-1", roles=("ROLE_SALES",))
    result = await gql.run("admin", query, {"r": reps}, token=token)
    assert result.data["_entities"] == [  # type: ignore[index]
        {"id": "u-1", "username": "u-1", "tenantId": "acme", "roles": ["ROLE_SALES"]},
        None,
    ]


async def test_coverage_counts_instruments_by_asset_class(gql: Executor) -> None:
    token = gql.issuer.mint(roles=("ROLE_ANALYST",), tenant="globex")
    query = "{ coverage { tenantId total byAssetClass { assetClass count } instruments { id } } }"
    result = await gql.run("analytics", query, token=token)
    assert result.errors is None
    report = result.data["coverage"]  # type: ignore[index]
    assert report["tenantId"] == "globex"
    # globex has the whole simulated universe except acme's cross-tenant probe instrument.
    globex = [i for i in SEEDED_INSTRUMENTS if i.instrument_id != ACME_ONLY]
    assert report["total"] == len(globex)
    counts = Counter(i.asset_class.value for i in globex)
    assert report["byAssetClass"] == [
        {"assetClass": name, "count": counts[name]} for name in sorted(counts)
    ]


async def test_coverage_needs_analytics_permission(gql: Executor) -> None:
    result = await gql.run("analytics", "{ coverage { total } }", token=gql.issuer.mint())
    assert result.errors[0].extensions["code"] == "FORBIDDEN"  # type: ignore[index]

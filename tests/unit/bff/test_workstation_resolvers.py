"""Workstation subgraph resolvers, executed with schema.execute against a fake refdata client."""

from __future__ import annotations

import pytest

from bff.grpc.errors import CircuitOpen
from services.marketdata.domain.instruments import SEEDED_INSTRUMENTS, AssetClass
from tests.unit.bff.conftest import Executor

INSTRUMENT = """
query ($id: ID!) {
  instrument(id: $id) {
    __typename
    ... on Instrument { id symbol assetClass tickSize lotSize tenor venueIds version }
    ... on InstrumentNotFound { instrumentId message }
    ... on NotEntitled { message }
  }
}
"""


async def test_instrument_by_id_returns_reference_data_with_decimal_ticks(gql: Executor) -> None:
    result = await gql.run("workstation", INSTRUMENT, {"id": "FX.EURUSD"}, token=gql.issuer.mint())
    assert result.errors is None
    inst = result.data["instrument"]  # type: ignore[index]
    assert inst["__typename"] == "Instrument"
    assert inst["symbol"] == "EUR/USD"
    assert inst["assetClass"] == "FX"
    assert inst["tickSize"] == "0.00001"
    assert inst["tenor"] is None
    assert inst["venueIds"] == ["RFQ-1", "CLOB-1"]


async def test_unknown_instrument_is_a_typed_not_found_result(gql: Executor) -> None:
    result = await gql.run("workstation", INSTRUMENT, {"id": "NOPE"}, token=gql.issuer.mint())
    assert result.errors is None
    assert result.data["instrument"]["__typename"] == "InstrumentNotFound"  # type: ignore[index]
    assert result.data["instrument"]["instrumentId"] == "NOPE"  # type: ignore[index]


async def test_other_tenants_instrument_is_not_found_not_leaked(gql: Executor) -> None:
    token = gql.issuer.mint(tenant="globex")
    result = await gql.run("workstation", INSTRUMENT, {"id": "FX.AUDUSD"}, token=token)
    assert result.data["instrument"]["__typename"] == "InstrumentNotFound"  # type: ignore[index]


async def test_instrument_outside_entitlements_is_not_entitled(gql: Executor) -> None:
    ents = {"asset_classes": ["RATES"], "instruments": ["*"], "venues": ["*"]}
    token = gql.issuer.mint(entitlements=ents)
    result = await gql.run("workstation", INSTRUMENT, {"id": "FX.EURUSD"}, token=token)
    assert result.data["instrument"]["__typename"] == "NotEntitled"  # type: ignore[index]


async def test_instrument_list_is_filtered_by_entitlement_and_asset_class(gql: Executor) -> None:
    ents = {"asset_classes": ["FX"], "instruments": ["*"], "venues": ["*"]}
    token = gql.issuer.mint(entitlements=ents)
    query = "{ instruments { id } rates: instruments(assetClass: RATES) { id } }"
    result = await gql.run("workstation", query, token=token)
    assert result.errors is None
    ids = {i["id"] for i in result.data["instruments"]}  # type: ignore[index]
    assert ids == {i.instrument_id for i in SEEDED_INSTRUMENTS if i.asset_class is AssetClass.FX}
    assert result.data["rates"] == []  # type: ignore[index]


async def test_aliased_instrument_lookups_are_batched_into_one_downstream_call(
    gql: Executor,
) -> None:
    query = """{ a: instrument(id: "FX.EURUSD") { __typename }
                 b: instrument(id: "RATES.UST2Y") { __typename }
                 c: instrument(id: "FX.EURUSD") { __typename } }"""
    result = await gql.run("workstation", query, token=gql.issuer.mint())
    assert result.errors is None
    assert gql.refdata.batch_calls == [["FX.EURUSD", "RATES.UST2Y"]]


async def test_query_without_token_is_rejected_with_unauthenticated_code(gql: Executor) -> None:
    result = await gql.run("workstation", "{ me { tenantId } }")
    assert result.data is None
    assert result.errors is not None
    assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"  # type: ignore[index]


async def test_me_reports_roles_permissions_and_tenant(gql: Executor) -> None:
    token = gql.issuer.mint(sub="u-7", tenant="globex", roles=("ROLE_TRADER",))
    result = await gql.run(
        "workstation", "{ me { user { id } tenantId roles permissions } }", token=token
    )
    me = result.data["me"]  # type: ignore[index]
    assert me["user"]["id"] == "u-7"
    assert me["tenantId"] == "globex"
    assert me["roles"] == ["ROLE_TRADER"]
    assert "rfq:send" in me["permissions"]


async def test_downstream_down_is_a_typed_error_code(gql: Executor) -> None:
    gql.refdata.go_down()
    result = await gql.run("workstation", "{ instruments { id } }", token=gql.issuer.mint())
    assert result.errors is not None
    assert result.errors[0].extensions["code"] == "DOWNSTREAM_UNAVAILABLE"  # type: ignore[index]


async def test_open_circuit_is_reported_with_its_own_code(gql: Executor) -> None:
    gql.refdata.fail_with = CircuitOpen("refdata", "circuit open: failing fast")
    result = await gql.run("workstation", INSTRUMENT, {"id": "FX.EURUSD"}, token=gql.issuer.mint())
    assert result.errors[0].extensions["code"] == "CIRCUIT_OPEN"  # type: ignore[index]


async def test_unexpected_resolver_failure_is_masked_with_a_logged_error_id(
    gql: Executor, caplog: pytest.LogCaptureFixture
) -> None:
    gql.refdata.fail_with = RuntimeError("boom: secret detail")  # type: ignore[assignment]
    result = await gql.run("workstation", "{ instruments { id } }", token=gql.issuer.mint())
    error = result.errors[0]  # type: ignore[index]
    assert "secret" not in error.message
    assert error.extensions["code"] == "INTERNAL"  # type: ignore[index]
    error_id = error.extensions["errorId"]  # type: ignore[index]
    logged = [r for r in caplog.records if getattr(r, "error_id", None) == error_id]
    assert logged
    assert logged[0].exc_info is not None


async def test_entity_reference_resolves_instrument_for_the_gateway(gql: Executor) -> None:
    query = """query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on Instrument { id symbol } } }"""
    reps = [
        {"__typename": "Instrument", "id": "RATES.UST10Y"},
        {"__typename": "Instrument", "id": "X"},
    ]
    result = await gql.run("workstation", query, {"r": reps}, token=gql.issuer.mint())
    assert result.errors is None
    assert result.data["_entities"] == [{"id": "RATES.UST10Y", "symbol": "UST10Y"}, None]  # type: ignore[index]


async def test_unbuilt_domain_entities_resolve_to_null(gql: Executor) -> None:
    query = """query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }"""
    reps = [{"__typename": t, "id": "1"} for t in ("Rfq", "Trade", "Order")]
    result = await gql.run("workstation", query, {"r": reps}, token=gql.issuer.mint())
    assert result.errors is None
    assert result.data["_entities"] == [None, None, None]  # type: ignore[index]


async def test_correlation_id_is_returned_in_response_extensions(gql: Executor) -> None:
    result = await gql.run("workstation", "{ me { tenantId } }", token=gql.issuer.mint())
    assert result.extensions is not None
    assert result.extensions["correlationId"] == "corr-test-1"


async def test_heartbeat_subscription_yields_counted_beats_with_correlation(gql: Executor) -> None:
    ctx = await gql.context("workstation", gql.issuer.mint())
    stream = await gql.schemas["workstation"].subscribe(
        "subscription { heartbeat(intervalMs: 50, count: 3) { sequence correlationId } }",
        context_value=ctx,
    )
    beats = [r.data["heartbeat"] async for r in stream]  # type: ignore[union-attr]
    assert [b["sequence"] for b in beats] == [1, 2, 3]
    assert {b["correlationId"] for b in beats} == {"corr-test-1"}

"""Workstation RFQ fields with schema.execute: the real RfqClient over an in-memory service."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from grpc import StatusCode

from bff.context import OrionContext
from bff.grpc.rfq_fake import FakeRfqService, fake_rfq_client
from bff.grpc.rfq_feed import RfqChangeFeed, next_change
from bff.workstation.rfq.subscriptions import MIN_READ_GAP_S
from eventbus.embedded.bus import EmbeddedBus
from orion.rfq.v1 import rfq_pb2
from tests.unit.bff.conftest import Executor
from tests.unit.bff.fakes import FakeRefData
from tests.unit.bff.tokens import Issuer

CREATE = """
mutation ($input: CreateRfqInput!) {
  createRfq(input: $input) {
    __typename
    ... on Rfq { id status correlationId requesterId side quantity version timeRemainingMs }
    ... on NotEntitled { message }
    ... on LimitBreached { code message correlationId rfqId }
    ... on InvalidInput { code message correlationId }
  }
}
"""
ACCEPT = """
mutation ($input: AcceptQuoteInput!) {
  acceptQuote(input: $input) {
    __typename
    ... on Rfq { id status acceptedQuoteId correlationId }
    ... on OrionError { code message correlationId }
    ... on NotEntitled { message }
  }
}
"""
CANCEL = """
mutation ($input: CancelRfqInput!) {
  cancelRfq(input: $input) {
    __typename
    ... on Rfq { id status statusReason }
    ... on OrionError { code message }
  }
}
"""
RFQ = """
query ($id: ID!) {
  rfq(id: $id) {
    id status quotes { id lpId price rank live status timeRemainingMs correlationId }
  }
}
"""


class RfqExecutor(Executor):
    def __init__(self, refdata: FakeRefData, issuer: Issuer) -> None:
        super().__init__(refdata, issuer)
        self.service = FakeRfqService()

    async def context(self, subgraph: str, token: str | None) -> OrionContext:
        ctx = await super().context(subgraph, token)
        ctx.downstreams.rfq = fake_rfq_client(self.service)
        return ctx


@pytest.fixture
def rfq_gql(refdata: FakeRefData, issuer: Issuer) -> RfqExecutor:
    return RfqExecutor(refdata, issuer)


def _input(**overrides: Any) -> dict[str, Any]:
    base = {
        "instrumentId": "FX.EURUSD",
        "side": "BUY",
        "quantity": "1000000",
        "expirySeconds": 30,
        "idempotencyKey": "k-1",
    }
    return {**base, **overrides}


async def _create(gql: RfqExecutor, token: str | None = None, **overrides: Any) -> Any:
    result = await gql.run(
        "workstation", CREATE, {"input": _input(**overrides)}, token=token or gql.issuer.mint()
    )
    assert result.errors is None, result.errors
    return result.data["createRfq"]  # type: ignore[index]


async def test_create_rfq_sends_caller_and_entitlements_and_returns_correlation(
    rfq_gql: RfqExecutor,
) -> None:
    rfq = await _create(rfq_gql)
    assert rfq["__typename"] == "Rfq"
    assert rfq["status"] == "SENT"
    assert rfq["correlationId"] == "corr-test-1"
    assert rfq["requesterId"] == "trader-1"
    assert 0 < rfq["timeRemainingMs"] <= 30_000
    method, meta = rfq_gql.service.calls[-1]
    assert method == "CreateRfq"
    assert meta["x-user-id"] == "trader-1"
    assert meta["x-tenant-id"] == "acme"
    assert meta["x-correlation-id"] == "corr-test-1"
    assert meta["x-entitled-instruments"] == "*"


async def test_entitlement_header_lists_the_users_instruments(rfq_gql: RfqExecutor) -> None:
    ents = {"asset_classes": ["FX"], "instruments": ["FX.GBPUSD", "FX.EURUSD"], "venues": ["*"]}
    rfq = await _create(rfq_gql, token=rfq_gql.issuer.mint(entitlements=ents))
    assert rfq["__typename"] == "Rfq"
    assert rfq_gql.service.calls[-1][1]["x-entitled-instruments"] == "FX.EURUSD,FX.GBPUSD"


async def test_instrument_outside_entitlements_is_not_entitled_without_calling_rfq(
    rfq_gql: RfqExecutor,
) -> None:
    ents = {"asset_classes": ["RATES"], "instruments": ["*"], "venues": ["*"]}
    rfq = await _create(rfq_gql, token=rfq_gql.issuer.mint(entitlements=ents))
    assert rfq["__typename"] == "NotEntitled"
    assert rfq_gql.service.calls == []


async def test_bad_expiry_is_invalid_input_without_calling_rfq(rfq_gql: RfqExecutor) -> None:
    bad = await _create(rfq_gql, expirySeconds=0)
    assert (bad["__typename"], bad["code"]) == ("InvalidInput", "INVALID_RFQ")
    assert bad["correlationId"] == "corr-test-1"
    assert rfq_gql.service.calls == []


async def test_instrument_unknown_to_refdata_is_left_to_the_services_entitlement_check(
    rfq_gql: RfqExecutor,
) -> None:
    ents = {"asset_classes": ["*"], "instruments": ["FX.GBPUSD"], "venues": ["*"]}
    token = rfq_gql.issuer.mint(entitlements=ents)
    refused = await _create(rfq_gql, token=token, instrumentId="FX.USDSEK")
    assert refused["__typename"] == "NotEntitled"
    assert rfq_gql.service.calls[-1][1]["x-entitled-instruments"] == "FX.GBPUSD"
    allowed = await _create(rfq_gql, instrumentId="FX.USDSEK", idempotencyKey="k-2")
    assert allowed["__typename"] == "Rfq"


async def test_pre_trade_refusal_is_limit_breached_with_the_stored_rfq(
    rfq_gql: RfqExecutor,
) -> None:
    rfq = await _create(rfq_gql, quantity="5000000000")
    assert rfq["__typename"] == "LimitBreached"
    assert rfq["code"] == "PRE_TRADE_REJECTED"
    assert rfq["message"].startswith("max_notional")
    assert rfq["rfqId"] == "rfq-1"


async def test_quotes_are_ranked_best_first_for_the_requesters_side(
    rfq_gql: RfqExecutor,
) -> None:
    rfq_id = (await _create(rfq_gql))["id"]
    rfq_gql.service.add_quote(rfq_id, "LP-A", "1.1010")
    rfq_gql.service.add_quote(rfq_id, "LP-B", "1.1005")
    result = await rfq_gql.run("workstation", RFQ, {"id": rfq_id}, token=rfq_gql.issuer.mint())
    quotes = result.data["rfq"]["quotes"]  # type: ignore[index]
    assert [(q["lpId"], q["rank"]) for q in quotes] == [("LP-B", 1), ("LP-A", 2)]
    assert {q["correlationId"] for q in quotes} == {"corr-test-1"}
    assert {q["status"] for q in quotes} == {"ACTIVE"}
    assert all(0 < q["timeRemainingMs"] <= 10_000 for q in quotes)


async def test_accept_quote_uses_the_current_version_when_none_is_named(
    rfq_gql: RfqExecutor,
) -> None:
    rfq_id = (await _create(rfq_gql))["id"]
    quote_id = rfq_gql.service.add_quote(rfq_id, "LP-A", "1.1")
    data = {"rfqId": rfq_id, "quoteId": quote_id, "idempotencyKey": "a-1"}
    result = await rfq_gql.run("workstation", ACCEPT, {"input": data}, token=rfq_gql.issuer.mint())
    accepted = result.data["acceptQuote"]  # type: ignore[index]
    assert (accepted["__typename"], accepted["status"]) == ("Rfq", "ACCEPTED")
    assert accepted["acceptedQuoteId"] == quote_id
    seen = await rfq_gql.run("workstation", RFQ, {"id": rfq_id}, token=rfq_gql.issuer.mint())
    assert seen.data["rfq"]["quotes"][0]["status"] == "ACCEPTED"  # type: ignore[index]
    again = await rfq_gql.run("workstation", ACCEPT, {"input": data}, token=rfq_gql.issuer.mint())
    refused = again.data["acceptQuote"]  # type: ignore[index]
    assert (refused["__typename"], refused["code"]) == ("RfqNotOpen", "RFQ_NOT_OPEN")
    assert refused["correlationId"] == "corr-test-1"


@pytest.mark.parametrize(
    ("case", "typename", "code"),
    [
        ("stale", "VersionConflict", "VERSION_CONFLICT"),
        ("lapsed", "QuoteExpired", "QUOTE_EXPIRED"),
        ("no-quote", "InvalidInput", "QUOTE_NOT_FOUND"),
        ("no-rfq", "RfqNotFound", "RFQ_NOT_FOUND"),
    ],
)
async def test_accept_refusals_are_typed_results(
    rfq_gql: RfqExecutor, case: str, typename: str, code: str
) -> None:
    rfq_id = (await _create(rfq_gql))["id"]
    ttl = -1 if case == "lapsed" else 10
    quote_id = rfq_gql.service.add_quote(rfq_id, "LP-A", "1.1", ttl_s=ttl)
    data: dict[str, Any] = {"rfqId": rfq_id, "quoteId": quote_id, "idempotencyKey": "a"}
    if case == "stale":
        data["expectedVersion"] = 1
    if case == "no-quote":
        data["quoteId"] = "nope"
    if case == "no-rfq":
        data["rfqId"] = "nope"
    result = await rfq_gql.run("workstation", ACCEPT, {"input": data}, token=rfq_gql.issuer.mint())
    assert result.errors is None
    refused = result.data["acceptQuote"]  # type: ignore[index]
    assert (refused["__typename"], refused["code"]) == (typename, code)


async def test_other_tenant_cannot_see_or_accept_an_rfq(rfq_gql: RfqExecutor) -> None:
    rfq_id = (await _create(rfq_gql))["id"]
    globex = rfq_gql.issuer.mint(tenant="globex")
    seen = await rfq_gql.run("workstation", RFQ, {"id": rfq_id}, token=globex)
    assert seen.errors is None
    assert seen.data == {"rfq": None}
    data = {"rfqId": rfq_id, "quoteId": "q", "idempotencyKey": "a", "expectedVersion": 1}
    result = await rfq_gql.run("workstation", ACCEPT, {"input": data}, token=globex)
    assert result.data["acceptQuote"]["__typename"] == "RfqNotFound"  # type: ignore[index]


async def test_cancel_open_rfq_then_cancel_again_is_not_open(rfq_gql: RfqExecutor) -> None:
    rfq_id = (await _create(rfq_gql))["id"]
    data = {"rfqId": rfq_id, "idempotencyKey": "c-1", "reason": "changed my mind"}
    first = await rfq_gql.run("workstation", CANCEL, {"input": data}, token=rfq_gql.issuer.mint())
    assert first.data["cancelRfq"]["status"] == "CANCELLED"  # type: ignore[index]
    second = await rfq_gql.run("workstation", CANCEL, {"input": data}, token=rfq_gql.issuer.mint())
    assert second.data["cancelRfq"]["__typename"] == "RfqNotOpen"  # type: ignore[index]


async def test_rfqs_filter_and_cursor_pagination(rfq_gql: RfqExecutor) -> None:
    for n in range(3):
        await _create(rfq_gql, idempotencyKey=f"k-{n}")
    await _create(rfq_gql, idempotencyKey="big", quantity="5000000000")
    query = """
    query ($after: String, $filter: RfqFilter) {
      rfqs(first: 2, after: $after, filter: $filter) { nodes { id status } endCursor hasNextPage }
    }"""
    token = rfq_gql.issuer.mint(roles=("ROLE_ANALYST",))
    page = (await rfq_gql.run("workstation", query, {}, token=token)).data["rfqs"]  # type: ignore[index]
    assert page["hasNextPage"]
    assert len(page["nodes"]) == 2
    rest = await rfq_gql.run("workstation", query, {"after": page["endCursor"]}, token=token)
    ids = [n["id"] for n in page["nodes"] + rest.data["rfqs"]["nodes"]]  # type: ignore[index]
    assert sorted(ids) == ["rfq-1", "rfq-2", "rfq-3", "rfq-4"]
    only = await rfq_gql.run("workstation", query, {"filter": {"statuses": ["SENT"]}}, token=token)
    assert {n["status"] for n in only.data["rfqs"]["nodes"]} == {"SENT"}  # type: ignore[index]


async def test_sales_may_read_rfqs_but_not_send_one(rfq_gql: RfqExecutor) -> None:
    token = rfq_gql.issuer.mint(roles=("ROLE_SALES",))
    result = await rfq_gql.run("workstation", CREATE, {"input": _input()}, token=token)
    assert result.errors
    assert result.errors[0].extensions["code"] == "FORBIDDEN"  # type: ignore[index]
    assert rfq_gql.service.calls == []


async def test_rfq_service_down_is_a_typed_downstream_error(rfq_gql: RfqExecutor) -> None:
    rfq_gql.service.fail_with = StatusCode.UNAVAILABLE
    result = await rfq_gql.run("workstation", RFQ, {"id": "x"}, token=rfq_gql.issuer.mint())
    assert result.errors is not None
    assert result.errors[0].extensions["code"] == "DOWNSTREAM_UNAVAILABLE"  # type: ignore[index]


async def test_rfq_entity_reference_resolves_through_the_service(rfq_gql: RfqExecutor) -> None:
    rfq_id = (await _create(rfq_gql))["id"]
    query = """
    query ($r: [_Any!]!) {
      _entities(representations: $r) { ... on Rfq { id status correlationId } }
    }"""
    reps = [{"__typename": "Rfq", "id": rfq_id}, {"__typename": "Rfq", "id": "nope"}]
    result = await rfq_gql.run("workstation", query, {"r": reps}, token=rfq_gql.issuer.mint())
    assert result.errors is None
    assert result.data["_entities"] == [  # type: ignore[index]
        {"id": rfq_id, "status": "SENT", "correlationId": "corr-test-1"},
        None,
    ]


async def test_rfq_updates_stream_the_rfq_then_changes_and_end_when_final(
    rfq_gql: RfqExecutor,
) -> None:
    rfq_id = (await _create(rfq_gql))["id"]
    ctx = await rfq_gql.context("workstation", rfq_gql.issuer.mint())
    sub = "subscription ($id: ID!) { rfqUpdates(rfqId: $id, intervalMs: 100) "
    sub += "{ serverTime rfq { status version timeRemainingMs quotes { lpId rank } } } }"
    stream: Any = await rfq_gql.schemas["workstation"].subscribe(
        sub, variable_values={"id": rfq_id}, context_value=ctx
    )
    first = await anext(stream)
    assert first.errors is None
    assert first.data["rfqUpdates"]["rfq"]["status"] == "SENT"
    rfq_gql.service.add_quote(rfq_id, "LP-A", "1.1")
    second = await anext(stream)
    assert second.data["rfqUpdates"]["rfq"]["quotes"] == [{"lpId": "LP-A", "rank": 1}]
    rfq = rfq_gql.service.rfqs[rfq_id]
    rfq.state, rfq.version = rfq_pb2.RFQ_STATE_CANCELLED, rfq.version + 1
    last = await anext(stream)
    assert last.data["rfqUpdates"]["rfq"]["status"] == "CANCELLED"
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_nan_quantity_is_invalid_input_not_an_internal_error(rfq_gql: RfqExecutor) -> None:
    bad = await _create(rfq_gql, quantity="NaN")
    assert (bad["__typename"], bad["code"]) == ("InvalidInput", "INVALID_RFQ")
    assert (await _create(rfq_gql, minQuantity="-1"))["__typename"] == "InvalidInput"


async def test_a_refused_read_is_a_typed_error_with_the_services_code(
    rfq_gql: RfqExecutor,
) -> None:
    query = 'query { rfqs(after: "not-a-cursor") { nodes { id } } }'
    result = await rfq_gql.run("workstation", query, token=rfq_gql.issuer.mint())
    assert result.errors is not None
    assert result.errors[0].extensions == {
        "code": "BAD_USER_INPUT",
        "service": "rfq",
        "rfqCode": "INVALID_RFQ",
    }


async def test_a_refusal_outside_the_fields_union_is_invalid_input_with_the_code(
    rfq_gql: RfqExecutor,
) -> None:
    rfq_id = (await _create(rfq_gql))["id"]
    rfq_gql.service.refuse["CancelRfq"] = (StatusCode.ABORTED, "CONCURRENT_MODIFICATION")
    data = {"rfqId": rfq_id, "idempotencyKey": "c-1"}
    raced = await rfq_gql.run("workstation", CANCEL, {"input": data}, token=rfq_gql.issuer.mint())
    lost = raced.data["cancelRfq"]  # type: ignore[index]
    assert (lost["__typename"], lost["code"]) == ("VersionConflict", "CONCURRENT_MODIFICATION")
    rfq_gql.service.refuse["CreateRfq"] = (StatusCode.FAILED_PRECONDITION, "RFQ_NOT_OPEN")
    odd = await _create(rfq_gql, idempotencyKey="k-2")
    assert (odd["__typename"], odd["code"]) == ("InvalidInput", "RFQ_NOT_OPEN")


async def test_a_change_right_after_a_read_waits_out_the_read_gap(tmp_path: Path) -> None:
    # A burst of facts about one RFQ is read once: the wake-up after a change is held until
    # MIN_READ_GAP_S after the previous read (a lower bound only, never an upper one).
    feed = RfqChangeFeed(EmbeddedBus(tmp_path / "log.db"), "test")
    feed.live.set()
    changed = asyncio.Event()
    changed.set()
    loop = asyncio.get_running_loop()
    not_before = loop.time() + MIN_READ_GAP_S
    await next_change(feed, changed, poll_s=0.1, timeout_s=1.0, not_before=not_before)
    assert loop.time() >= not_before
    # Long since the last read: no wait beyond the change itself.
    await next_change(feed, changed, poll_s=0.1, timeout_s=1.0, not_before=loop.time() - 1.0)

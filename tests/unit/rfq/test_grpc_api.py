"""RfqService over a real gRPC channel on 127.0.0.1:0 with SQLite storage: mapping and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NamedTuple

import grpc
import pytest
from grpc import aio

from core.db import Database
from orion.rfq.v1 import rfq_pb2
from orion.rfq.v1 import rfq_service_pb2 as pb
from orion.rfq.v1 import rfq_service_pb2_grpc as pb_grpc
from services.rfq.grpc_api import decode_cursor, encode_cursor
from services.rfq.handlers import RfqDeps
from services.rfq.server import start_server
from tests.unit.rfq.service_fixtures import T0, Clock, deliver, make_deps, submitted


class Harness(NamedTuple):
    client: pb_grpc.RfqServiceAsyncStub
    clock: Clock
    deps: RfqDeps


ALICE = (("x-tenant-id", "t1"), ("x-user-id", "alice"), ("x-correlation-id", "corr-g"))


@pytest.fixture
async def stub(tmp_path: Path) -> AsyncIterator[Harness]:
    db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'grpc.db'}")
    await db.create_all()
    clock = Clock()
    deps = make_deps(db, clock)
    server, port = await start_server(deps)
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    yield Harness(pb_grpc.RfqServiceStub(channel), clock, deps)
    await channel.close()
    await server.stop(grace=None)
    await db.dispose()


def create_request(key: str = "k1", **changes: Any) -> pb.CreateRfqRequest:
    fields: dict[str, object] = {
        "idempotency_key": key,
        "instrument_id": "EURUSD",
        "side": rfq_pb2.SIDE_BUY,
        "quantity": "1000000",
        "expires_in_ms": 10_000,
    }
    fields.update(changes)
    return pb.CreateRfqRequest(**fields)  # type: ignore[arg-type]


async def test_create_returns_the_sent_rfq_with_expiry_and_lps(stub: Harness) -> None:
    client, _clock, _deps = stub
    reply = await client.CreateRfq(create_request(), metadata=ALICE)
    rfq = reply.rfq
    assert rfq.state == rfq_pb2.RFQ_STATE_SENT
    assert (rfq.quantity, rfq.correlation_id, rfq.mid) == ("1000000", "corr-g", "1.1000")
    assert list(rfq.lp_ids) == ["lp-a", "lp-b", "lp-c"]
    assert rfq.expires_at.ToDatetime().timestamp() - rfq.created_at.ToDatetime().timestamp() == 10


async def test_get_shows_ranked_quotes_with_impact_and_accept_uses_the_version(
    stub: Harness,
) -> None:
    client, clock, deps = stub
    rfq = (await client.CreateRfq(create_request(), metadata=ALICE)).rfq
    for lp, px in (("lp-a", "1.1003"), ("lp-b", "1.1001")):
        await deliver(deps, "QuoteSubmitted", submitted(rfq.rfq_id, lp, px, clock))
    view = (await client.GetRfq(pb.GetRfqRequest(rfq_id=rfq.rfq_id), metadata=ALICE)).rfq
    assert [(q.lp_id, q.rank, q.impact_bps) for q in view.quotes] == [
        ("lp-b", 1, "0.91"),
        ("lp-a", 2, "2.73"),
    ]
    accept = pb.AcceptQuoteRequest(
        idempotency_key="a",
        rfq_id=rfq.rfq_id,
        quote_id=view.quotes[0].quote_id,
        expected_version=view.version,
    )
    accepted = (await client.AcceptQuote(accept, metadata=ALICE)).rfq
    assert (accepted.state, accepted.accepted_quote_id) == (
        rfq_pb2.RFQ_STATE_ACCEPTED,
        view.quotes[0].quote_id,
    )


@pytest.mark.parametrize(
    ("request_changes", "code"),
    [
        ({"side": rfq_pb2.SIDE_UNSPECIFIED}, grpc.StatusCode.INVALID_ARGUMENT),
        ({"quantity": "lots"}, grpc.StatusCode.INVALID_ARGUMENT),
        ({"quantity": "-5"}, grpc.StatusCode.INVALID_ARGUMENT),
        ({"expires_in_ms": 5}, grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
async def test_invalid_create_is_invalid_argument(
    stub: Harness,
    request_changes: dict[str, Any],
    code: grpc.StatusCode,
) -> None:
    client, _clock, _deps = stub
    with pytest.raises(aio.AioRpcError) as caught:
        await client.CreateRfq(create_request(**request_changes), metadata=ALICE)
    assert caught.value.code() == code
    assert str(caught.value.details()).startswith("INVALID_RFQ")


async def test_domain_errors_map_to_grpc_statuses(stub: Harness) -> None:
    client, clock, deps = stub
    rfq = (await client.CreateRfq(create_request(), metadata=ALICE)).rfq
    await deliver(deps, "QuoteSubmitted", submitted(rfq.rfq_id, "lp-a", "1.1", clock))
    quote_id = f"{rfq.rfq_id}/lp-a"
    cases = [
        (
            pb.AcceptQuoteRequest(rfq_id=rfq.rfq_id, quote_id=quote_id, expected_version=1),
            grpc.StatusCode.ABORTED,
            "VERSION_CONFLICT",
        ),
        (
            pb.AcceptQuoteRequest(rfq_id="nope", quote_id=quote_id, expected_version=1),
            grpc.StatusCode.NOT_FOUND,
            "RFQ_NOT_FOUND",
        ),
    ]
    for request, code, label in cases:
        with pytest.raises(aio.AioRpcError) as caught:
            await client.AcceptQuote(request, metadata=ALICE)
        assert (caught.value.code(), str(caught.value.details()).split(":")[0]) == (code, label)
    view = (await client.GetRfq(pb.GetRfqRequest(rfq_id=rfq.rfq_id), metadata=ALICE)).rfq
    ok = pb.AcceptQuoteRequest(rfq_id=rfq.rfq_id, quote_id=quote_id, expected_version=view.version)
    await client.AcceptQuote(ok, metadata=ALICE)
    with pytest.raises(aio.AioRpcError) as caught:
        await client.CancelRfq(pb.CancelRfqRequest(rfq_id=rfq.rfq_id), metadata=ALICE)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert str(caught.value.details()).startswith("CANCEL_AFTER_ACCEPT")
    assert dict(caught.value.trailing_metadata() or ())["x-error-code"] == "CANCEL_AFTER_ACCEPT"


async def test_calls_without_tenant_or_user_are_unauthenticated(stub: Harness) -> None:
    client, _clock, _deps = stub
    with pytest.raises(aio.AioRpcError) as caught:
        await client.CreateRfq(create_request(), metadata=(("x-tenant-id", "t1"),))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_other_tenant_cannot_see_the_rfq(stub: Harness) -> None:
    client, _clock, _deps = stub
    rfq = (await client.CreateRfq(create_request(), metadata=ALICE)).rfq
    eve = (("x-tenant-id", "t2"), ("x-user-id", "alice"))
    with pytest.raises(aio.AioRpcError) as caught:
        await client.GetRfq(pb.GetRfqRequest(rfq_id=rfq.rfq_id), metadata=eve)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_list_pages_newest_first_with_a_cursor_and_filters(stub: Harness) -> None:
    client, clock, _deps = stub
    ids = []
    for i in range(5):
        clock.advance(1)
        ids.append((await client.CreateRfq(create_request(f"k{i}"), metadata=ALICE)).rfq.rfq_id)
    first = await client.ListRfqs(pb.ListRfqsRequest(page_size=3), metadata=ALICE)
    second = await client.ListRfqs(
        pb.ListRfqsRequest(page_size=3, page_token=first.next_page_token), metadata=ALICE
    )
    assert [r.rfq_id for r in [*first.rfqs, *second.rfqs]] == ids[::-1]
    assert second.next_page_token == ""
    none = await client.ListRfqs(
        pb.ListRfqsRequest(states=[rfq_pb2.RFQ_STATE_TRADED]), metadata=ALICE
    )
    assert list(none.rfqs) == []


def test_cursor_round_trips_and_rejects_garbage() -> None:
    assert decode_cursor(encode_cursor(T0, "r-1")) == (T0, "r-1")
    assert decode_cursor("") is None
    from services.rfq.errors import InvalidRfq

    with pytest.raises(InvalidRfq):
        decode_cursor("bm9wZQ==")


async def test_entitlements_from_metadata_are_checked_and_the_refusal_explained(
    stub: Harness,
) -> None:
    only_gbp = (*ALICE, ("x-entitled-instruments", "GBPUSD, USDJPY"))
    refused = (await stub.client.CreateRfq(create_request("e1"), metadata=only_gbp)).rfq
    assert refused.state == rfq_pb2.RFQ_STATE_REJECTED
    assert refused.reason == "entitlement: not entitled to trade EURUSD"
    everything = (*ALICE, ("x-entitled-instruments", "*"))
    allowed = (await stub.client.CreateRfq(create_request("e2"), metadata=everything)).rfq
    assert allowed.state == rfq_pb2.RFQ_STATE_SENT

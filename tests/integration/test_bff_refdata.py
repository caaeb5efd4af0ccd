"""The BFF over HTTP against the real refdata gRPC service, both on free ports."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from bff.app import BffConfig
from bff.settings import BffLimits
from bff.testing import running_bff, running_refdata
from core.logging import JsonFormatter
from tests.unit.bff.tokens import Issuer

ISSUER = Issuer()
QUERY = '{ instrument(id: "FX.EURUSD") { __typename ... on Instrument { symbol tickSize } } }'
_SPANS = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def tracer_provider() -> None:
    """One in-memory provider for this module (the global provider can be set only once)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        current.add_span_processor(SimpleSpanProcessor(_SPANS))
        return
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_SPANS))
    trace.set_tracer_provider(provider)


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """The refdata service's log lines, formatted as in production (JSON with contextvars)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("services.refdata")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield buffer
    logger.removeHandler(handler)


@pytest.fixture
async def bff() -> AsyncIterator[str]:
    async with running_refdata() as (_, port):
        config = BffConfig(refdata_addr=f"127.0.0.1:{port}", validator=ISSUER.validator())
        async with running_bff(config) as url:
            yield url


def _auth(**claims: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {ISSUER.mint(**claims)}"}  # type: ignore[arg-type]


async def test_instrument_query_is_served_from_the_grpc_service(bff: str) -> None:
    async with httpx.AsyncClient(base_url=bff) as client:
        response = await client.post("/graphql/workstation", json={"query": QUERY}, headers=_auth())
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["instrument"] == {
        "__typename": "Instrument",
        "symbol": "EUR/USD",
        "tickSize": "0.00001",
    }


async def test_client_correlation_id_reaches_grpc_log_response_and_trace(
    bff: str, server_log: io.StringIO
) -> None:
    headers = {**_auth(tenant="globex"), "X-Correlation-Id": "corr-it-42"}
    async with httpx.AsyncClient(base_url=bff) as client:
        response = await client.post("/graphql/workstation", json={"query": QUERY}, headers=headers)
    assert response.headers["x-correlation-id"] == "corr-it-42"
    assert response.json()["extensions"]["correlationId"] == "corr-it-42"
    lines = [line for line in server_log.getvalue().splitlines() if "corr-it-42" in line]
    assert lines, server_log.getvalue()
    assert '"tenant_id":"globex"' in lines[0]
    server_spans = [s for s in _SPANS.get_finished_spans() if s.kind == trace.SpanKind.SERVER]
    tagged = [
        s for s in server_spans if (s.attributes or {}).get("orion.correlation_id") == "corr-it-42"
    ]
    assert tagged, [s.name for s in server_spans]
    trace_id = tagged[0].context.trace_id
    same_trace = {s.name for s in _SPANS.get_finished_spans() if s.context.trace_id == trace_id}
    # One trace from the GraphQL operation through the gRPC client to the gRPC server.
    assert {"GraphQL Query", "GraphQL Resolving: instrument"} <= same_trace
    rpc = "/orion.refdata.v1.RefDataService/BatchGetInstruments"
    kinds = {s.kind for s in _SPANS.get_finished_spans() if s.name == rpc}
    assert {trace.SpanKind.CLIENT, trace.SpanKind.SERVER} <= kinds


async def test_incoming_traceparent_is_continued_by_the_bff_and_its_grpc_calls(bff: str) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent = f"00-{trace_id}-00f067aa0ba902b7-01"
    async with httpx.AsyncClient(base_url=bff) as client:
        response = await client.post(
            "/graphql/workstation",
            json={"query": QUERY},
            headers={**_auth(), "traceparent": parent},
        )
    assert response.status_code == 200
    assert "errors" not in response.json()
    continued = [s for s in _SPANS.get_finished_spans() if s.context.trace_id == int(trace_id, 16)]
    names = {s.name for s in continued}
    assert "GraphQL Query" in names
    assert "/orion.refdata.v1.RefDataService/BatchGetInstruments" in names
    root = next(s for s in continued if s.name == "GraphQL Query")
    assert root.parent is not None
    assert root.parent.span_id == 0x00F067AA0BA902B7


async def test_malformed_traceparent_starts_a_new_trace(bff: str) -> None:
    async with httpx.AsyncClient(base_url=bff) as client:
        response = await client.post(
            "/graphql/workstation",
            json={"query": QUERY},
            headers={**_auth(), "traceparent": "00-not-a-trace-id-01"},
        )
    assert response.status_code == 200
    assert "errors" not in response.json()
    ops = [s for s in _SPANS.get_finished_spans() if s.name == "GraphQL Query"]
    assert ops
    assert ops[-1].parent is None


async def test_missing_correlation_id_gets_a_fresh_one(bff: str) -> None:
    async with httpx.AsyncClient(base_url=bff) as client:
        response = await client.post("/graphql/workstation", json={"query": QUERY}, headers=_auth())
    minted = response.headers["x-correlation-id"]
    assert len(minted) == 36
    assert response.json()["extensions"]["correlationId"] == minted


async def test_unauthenticated_request_is_a_graphql_error_not_a_500(bff: str) -> None:
    async with httpx.AsyncClient(base_url=bff) as client:
        response = await client.post("/graphql/workstation", json={"query": QUERY})
        bad = await client.post(
            "/graphql/admin",
            json={"query": "{ tenant { id } }"},
            headers={"Authorization": "Bearer not-a-jwt"},
        )
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert bad.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_oversized_body_is_refused_with_a_graphql_shaped_413(bff: str) -> None:
    padding = "#" + "x" * (BffLimits().max_body_bytes + 10)
    async with httpx.AsyncClient(base_url=bff) as client:
        response = await client.post(
            "/graphql/workstation", json={"query": padding + "\n{ __typename }"}, headers=_auth()
        )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_health_ready_and_metrics_endpoints(bff: str) -> None:
    async with httpx.AsyncClient(base_url=bff) as client:
        await client.post("/graphql/workstation", json={"query": QUERY}, headers=_auth())
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
    assert health.json()["components"]["refdata"]["healthy"] is True
    assert ready.status_code == 200
    text = metrics.text
    assert 'operation="anonymous",outcome="ok",subgraph="workstation",type="query"' in text
    assert "orion_bff_operation_seconds_bucket" in text
    assert (
        'orion_bff_downstream_calls_total{downstream="refdata",method="BatchGetInstruments"' in text
    )
    assert "orion_bff_open_websockets" in text


class RecordingStreaming:
    """Stands in for the market-data hub: a route and a lifespan-bound run, both observable."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def routes(self) -> list[BaseRoute]:
        async def stream(_: Request) -> PlainTextResponse:
            return PlainTextResponse("hub")

        return [Route("/graphql/stream", stream)]

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.events.append("started")
        yield
        self.events.append("stopped")


async def test_streaming_component_is_mounted_and_tied_to_the_lifespan() -> None:
    streaming = RecordingStreaming()
    async with running_refdata() as (_, port):
        config = BffConfig(f"127.0.0.1:{port}", validator=ISSUER.validator(), streaming=streaming)
        async with running_bff(config) as url, httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/graphql/stream")).text == "hub"
            assert streaming.events == ["started"]
    assert streaming.events == ["started", "stopped"]

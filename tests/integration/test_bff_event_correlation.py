"""A client's correlation id travels BFF → gRPC metadata → the published event's envelope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bff.app import BffConfig
from bff.testing import running_bff
from eventbus.bus import ConsumerConfig, EventBus
from eventbus.embedded import EmbeddedBus
from eventbus.envelope import decode
from eventbus.topics import declared, topic_name
from services.refdata.events import TOPIC
from services.refdata.server import start_server
from tests.unit.bff.tokens import Issuer

ISSUER = Issuer()
UPSERT = """
mutation {
  upsertInstrument(input: {id: "FX.EURNOK", symbol: "EUR/NOK", assetClass: FX, currency: "NOK",
                           tickSize: "0.0001", lotSize: "1000000", venueIds: ["RFQ-1"]}) {
    __typename ... on InstrumentSaved { version }
  }
}
"""


@pytest.fixture
async def bus(tmp_path: Path) -> AsyncIterator[EventBus]:
    bus = EmbeddedBus(tmp_path / "eventlog.db")
    await bus.start()
    await bus.ensure_topics([declared(TOPIC).spec("dev")])
    yield bus
    await bus.stop()


async def test_correlation_id_from_client_is_in_the_published_envelope(bus: EventBus) -> None:
    server, port = await start_server("127.0.0.1", 0, bus=bus, env="dev")
    try:
        config = BffConfig(f"127.0.0.1:{port}", validator=ISSUER.validator())
        token = ISSUER.mint(sub="admin-9", tenant="globex", roles=("ROLE_ADMIN",))
        headers = {"Authorization": f"Bearer {token}", "X-Correlation-Id": "corr-evt-7"}
        async with running_bff(config) as url, httpx.AsyncClient(base_url=url) as client:
            response = await client.post("/graphql/admin", json={"query": UPSERT}, headers=headers)
        assert response.json()["data"]["upsertInstrument"]["__typename"] == "InstrumentSaved"
    finally:
        await server.stop(0.5)

    consumer = bus.consumer(ConsumerConfig("test-reader", [topic_name(TOPIC, "dev")]))
    await consumer.start()
    try:
        records = await consumer.poll(timeout_ms=2000)
    finally:
        await consumer.stop()
    assert len(records) == 1
    event = decode(records[0])
    assert event.envelope.correlation_id == "corr-evt-7"
    assert event.envelope.tenant_id == "globex"
    assert event.envelope.event_type == "InstrumentUpdated"
    assert event.envelope.entity.sequence == 1
    assert dict(records[0].headers)["correlation_id"] == b"corr-evt-7"

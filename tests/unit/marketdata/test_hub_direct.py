"""The flush's direct path (ADR 0012): pre-framed bytes written to idle, writable sockets; queued
behind anything pending; never ahead of a frame being sent; byte-exact RFC 6455 text frames."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode
from websockets.streams import StreamReader

from bff.streaming.app import StreamingServer
from bff.streaming.hub import MarketDataHub
from bff.streaming.model import HubTick, SelectionKey
from bff.streaming.wire import text_frame, text_frame_header
from tests.unit.marketdata.test_hub_ws import QUERY, _next
from tests.unit.marketdata.wsutil import GqlWs, serve

PREFIX = b'{"id":"md","type":"next","payload":'


class FakeSink:
    def __init__(self) -> None:
        self.open = True
        self.written: list[bytes] = []

    def ready(self) -> bool:
        return self.open

    def write(self, data: bytes) -> None:
        self.written.append(data)


def _tick(iid: str, seq: int) -> HubTick:
    now = time.time_ns()
    return HubTick(iid, str(seq), "9", "5", seq, now, now)


def _parse(data: bytes) -> WsFrame:
    """Decode one server-to-client frame with the websockets library's own parser."""
    reader = StreamReader()
    reader.feed_data(data)
    parser = WsFrame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame: WsFrame = done.value
        return frame
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_pre_framed_text_is_what_a_websocket_client_decodes(size: int) -> None:
    body = b"x" * size
    frame = _parse(text_frame(body))
    assert frame.opcode is Opcode.TEXT
    assert frame.fin
    assert frame.data == body
    assert len(text_frame_header(size)) == {0: 2, 125: 2, 126: 4, 65535: 4, 65536: 10}[size]


async def _parked(hub: MarketDataHub, key: SelectionKey, sink: FakeSink) -> asyncio.Task[None]:
    """A subscriber whose reader took the snapshot and is parked in `get` (as the pump is)."""
    sub = await hub.subscribe(key)
    sub.outbox.sink, sub.outbox.prefix = sink, PREFIX
    assert (await sub.outbox.get()) is not None  # the snapshot goes through the reader

    async def read_rest() -> None:
        while await sub.outbox.get() is not None:
            pass

    task = asyncio.create_task(read_rest())
    await asyncio.sleep(0)
    return task


async def test_a_flush_writes_the_same_frame_bytes_to_every_idle_subscriber() -> None:
    hub = MarketDataHub()
    key = SelectionKey.of(["FX.EURUSD"])
    sinks = [FakeSink(), FakeSink()]
    readers = [await _parked(hub, key, s) for s in sinks]
    hub.on_tick(_tick("FX.EURUSD", 1))
    hub.flush(10)
    assert sinks[0].written == sinks[1].written
    (data,) = sinks[0].written
    message = orjson.loads(_parse(data).data)
    assert message["id"] == "md"
    assert message["payload"]["data"]["marketData"]["kind"] == "INCREMENT"
    assert hub.stats.direct_writes == hub.stats.deliveries == 2
    assert hub.stats.payload_encodes == 1  # the increment, once for both sockets
    for reader in readers:
        reader.cancel()


async def test_a_busy_socket_gets_the_frame_queued_and_later_frames_stay_behind_it() -> None:
    hub = MarketDataHub()
    key = SelectionKey.of(["FX.EURUSD"])
    sink = FakeSink()
    sub = await hub.subscribe(key)
    sub.outbox.sink, sub.outbox.prefix = sink, PREFIX
    await sub.outbox.get()
    sink.open = False  # flow control paused the transport
    hub.on_tick(_tick("FX.EURUSD", 1))
    hub.flush(10)
    sink.open = True
    hub.on_tick(_tick("FX.EURUSD", 2))
    hub.flush(10)  # the reader has not drained seq 1 yet: seq 2 must queue behind it
    assert sink.written == []
    assert [f.seq for f in (await sub.outbox.get(), await sub.outbox.get()) if f] == [1, 2]


async def test_the_direct_path_engages_under_uvicorn_with_identical_messages() -> None:
    hub = MarketDataHub()
    hub.on_tick(_tick("FX.EURUSD", 1))
    async with (
        serve(StreamingServer(hub).app()) as port,
        GqlWs.connect(f"ws://127.0.0.1:{port}/graphql/stream") as client,
    ):
        await client.subscribe("op-1", QUERY, {"ids": ["FX.EURUSD"]})
        assert (await _next(client, "op-1"))["kind"] == "SNAPSHOT"
        for seq in (2, 3):
            await asyncio.sleep(0.1)  # the pump parks after the snapshot
            hub.on_tick(_tick("FX.EURUSD", seq))
            increment = await _next(client, "op-1")
            assert increment["ticks"][0]["sequence"] == seq
    assert hub.stats.direct_writes >= 1

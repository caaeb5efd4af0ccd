"""One RFQ driver worker: open-loop RFQs through the BFF (GraphQL over HTTP + graphql-transport-ws).

Each RFQ: `createRfq` (HTTP) → `rfqUpdates` subscription (one shared WebSocket per worker,
multiplexed by operation id) until the quotes of every LP are in → `acceptQuote` of the best
(HTTP; the next best after a last-look refusal) → the subscription shows TRADED with a trade id →
`trade(id)` (HTTP, reads the trade blotter read model) answers the trade. Timestamps are taken
around each step; a worker writes its samples and its own CPU seconds as JSON lines.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import orjson
import websockets

CREATE = """mutation C($i: CreateRfqInput!) { createRfq(input: $i) { __typename
  ... on Rfq { id version } ... on OrionError { code message } } }"""
ACCEPT = """mutation A($i: AcceptQuoteInput!) { acceptQuote(input: $i) { __typename
  ... on Rfq { id status version } ... on OrionError { code message } } }"""
UPDATES = """subscription U($id: ID!) { rfqUpdates(rfqId: $id, intervalMs: 100) {
  rfq { status version tradeId quotes { id live } } } }"""
TRADE = "query T($id: ID!) { trade(id: $id) { id } }"
FINAL = {"REJECTED", "EXPIRED", "CANCELLED"}
PATH = "/graphql/workstation"  # the workstation subgraph, straight (no gateway hop)


@dataclass
class Sample:
    """Milliseconds since the RFQ started (t0 = just before createRfq was sent)."""

    t0: float
    create_ack: float = 0.0
    first_quote: float = 0.0
    all_quotes: float = 0.0
    accept_ack: float = 0.0
    traded: float = 0.0
    trade_visible: float = 0.0
    accepts: int = 0
    updates: int = 0  # rfqUpdates pushes received (each one a GetRfq read in the BFF, or more)
    error: str = ""


@dataclass
class Job:
    url: str
    tokens: list[str]
    rate: float  # RFQs per second offered by this worker
    duration_s: float
    lps: int = 5
    max_in_flight: int = 2000
    quote_wait_s: float = 2.0
    timeout_s: float = 15.0
    samples: list[Sample] = field(default_factory=list)


class Socket:
    """One graphql-transport-ws session; `subscribe` yields the payloads of one operation."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.queues: dict[str, asyncio.Queue[dict[str, Any] | None]] = {}
        self.ids: Iterator[int] = itertools.count(1)

    async def pump(self) -> None:
        async for raw in self.ws:
            msg = orjson.loads(raw)
            queue = self.queues.get(msg.get("id", ""))
            if msg["type"] == "ping":
                await self.ws.send('{"type":"pong"}')
            elif queue is not None and msg["type"] == "next":
                queue.put_nowait(msg["payload"])
            elif queue is not None:  # complete or error: the operation is over
                queue.put_nowait(msg if msg["type"] == "error" else None)

    async def start(self, rfq_id: str) -> tuple[str, asyncio.Queue[dict[str, Any] | None]]:
        op = str(next(self.ids))
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.queues[op] = queue
        payload = {"query": UPDATES, "variables": {"id": rfq_id}}
        message = {"id": op, "type": "subscribe", "payload": payload}
        await self.ws.send(orjson.dumps(message).decode())
        return op, queue

    async def stop(self, op: str) -> None:
        if self.queues.pop(op, None) is not None:
            await self.ws.send(orjson.dumps({"id": op, "type": "complete"}).decode())


async def _gql(http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]) -> Any:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    body = orjson.dumps({"query": query, "variables": variables})
    resp = await http.post(PATH, content=body, headers=headers)
    data = orjson.loads(resp.content)
    if data.get("errors"):
        raise RuntimeError(f"graphql: {data['errors'][0].get('message')}")
    return data["data"]


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


async def _next(
    queue: asyncio.Queue[dict[str, Any] | None], until: float, s: Sample
) -> dict[str, Any]:
    item = await asyncio.wait_for(queue.get(), max(0.001, until - time.perf_counter()))
    if item is None or "data" not in item or item.get("errors"):
        raise RuntimeError(f"subscription ended: {item}")
    s.updates += 1
    rfq: dict[str, Any] = item["data"]["rfqUpdates"]["rfq"]
    return rfq


async def _quotes(s: Sample, queue: asyncio.Queue[Any], lps: int, wait_s: float) -> dict[str, Any]:
    """Updates until every LP quoted (or the wait is over and at least one quote is live)."""
    until = time.perf_counter() + wait_s
    rfq: dict[str, Any] = {}
    while True:
        try:
            rfq = await _next(queue, until, s)
        except TimeoutError:
            if any(q["live"] for q in rfq.get("quotes", ())):
                return rfq
            raise
        live = [q for q in rfq["quotes"] if q["live"]]
        if live and not s.first_quote:
            s.first_quote = _ms(s.t0)
        if len(rfq["quotes"]) >= lps or rfq["status"] in FINAL:
            return rfq


async def one_rfq(job: Job, http: httpx.AsyncClient, sock: Socket, token: str, s: Sample) -> None:
    t0 = s.t0
    inp = {"instrumentId": "FX.EURUSD", "side": "BUY", "quantity": "1000000",
           "idempotencyKey": uuid.uuid4().hex, "expirySeconds": 20}  # fmt: skip
    created = (await _gql(http, token, CREATE, {"i": inp}))["createRfq"]
    s.create_ack = _ms(t0)
    if created["__typename"] != "Rfq":
        raise RuntimeError(f"create refused: {created.get('code')}")
    op, queue = await sock.start(created["id"])
    try:
        rfq = await _quotes(s, queue, job.lps, job.quote_wait_s)
        s.all_quotes = _ms(t0)
        deadline = time.perf_counter() + job.timeout_s
        tried: set[str] = set()
        while rfq["status"] != "TRADED":
            if rfq["status"] in FINAL:
                raise RuntimeError(f"rfq {rfq['status']}")
            if rfq["status"] == "QUOTING":  # first time, or back after a last-look refusal
                live = [q["id"] for q in rfq["quotes"] if q["live"] and q["id"] not in tried]
                if not live:
                    raise RuntimeError("no live quote left")
                tried.add(live[0])
                s.accepts += 1
                key = uuid.uuid4().hex
                inp = {"rfqId": created["id"], "quoteId": live[0], "idempotencyKey": key,
                       "expectedVersion": rfq["version"]}  # fmt: skip
                acc = (await _gql(http, token, ACCEPT, {"i": inp}))["acceptQuote"]
                s.accept_ack = s.accept_ack or _ms(t0)
                if acc["__typename"] not in ("Rfq", "VersionConflict"):
                    raise RuntimeError(f"accept refused: {acc.get('code')}")
            rfq = await _next(queue, deadline, s)
        s.traded = _ms(t0)
    finally:
        await sock.stop(op)
    while (await _gql(http, token, TRADE, {"id": rfq["tradeId"]}))["trade"] is None:  # noqa: ASYNC110
        await asyncio.sleep(0.01)  # the blotter projector lags the RFQ service by a hop or two
    s.trade_visible = _ms(t0)


async def _guarded(job: Job, http: httpx.AsyncClient, sock: Socket, token: str) -> None:
    s = Sample(t0=time.perf_counter())
    job.samples.append(s)
    try:
        await asyncio.wait_for(one_rfq(job, http, sock, token, s), job.timeout_s)
    except Exception as exc:  # every failure is a counted outcome, never a crash of the driver
        s.error = f"{type(exc).__name__}: {exc}"[:160]


async def _open(url: str, token: str) -> Socket:
    """One session per user: a subscription sees only what its connection's token may see."""
    ws = await websockets.connect(
        url.replace("http", "ws", 1) + PATH,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        max_size=2**22,
    )
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await ws.send(orjson.dumps(init).decode())
    ack = orjson.loads(await ws.recv())
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"no connection_ack: {ack}")
    return Socket(ws)


async def run(job: Job) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=job.url, limits=limits, timeout=30) as http:
        socks = [await _open(job.url, token) for token in job.tokens]
        pumps = [asyncio.create_task(sock.pump()) for sock in socks]
        cpu0, start = time.process_time(), time.perf_counter()
        tasks: set[asyncio.Task[None]] = set()
        skipped = 0
        for i in itertools.count():
            due = start + i / job.rate
            if due - start >= job.duration_s:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if len(tasks) >= job.max_in_flight:  # the platform fell behind: offered, not sent
                skipped += 1
                continue
            user = i % len(job.tokens)
            task = asyncio.create_task(_guarded(job, http, socks[user], job.tokens[user]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
        cpu = time.process_time() - cpu0
        for pump, sock in zip(pumps, socks, strict=True):
            pump.cancel()
            await sock.ws.close()
        return {"cpu_s": cpu, "wall_s": time.perf_counter() - start,
                "skipped": skipped, "samples": [asdict(s) for s in job.samples]}  # fmt: skip


def worker_main(job: Job, out: Any) -> None:
    """Entry point of a driver process (multiprocessing): runs one Job, puts its result."""
    import uvloop

    try:
        out.put(uvloop.run(run(job)))
    except Exception as exc:  # the parent must hear about it, not wait forever
        out.put({"crashed": f"{type(exc).__name__}: {exc}"})

"""`orion events`: the event catalogue, registered events, topics and an end-to-end probe."""

from __future__ import annotations

import asyncio
import time
import uuid

import typer

from core.settings import get_settings

events_app = typer.Typer(
    help="Event backbone: catalogue, registered events, topics, probe.", no_args_is_help=True
)


@events_app.command("catalog")
def catalog(
    check: bool = typer.Option(False, "--check", help="Only verify schemas/events is fresh."),
) -> None:
    """Generate schemas/events (catalogue + JSON Schemas) from the registry, or check it."""
    from eventbus import catalog as cat

    if check:
        raise typer.Exit(cat.check_fresh())
    written = cat.write()
    typer.echo(f"wrote {len(written)} files to {cat.CATALOG_DIR}")


@events_app.command("list")
def list_events() -> None:
    """List every registered event: type, version, topic, payload message, key, producer."""
    from eventbus.known_events import load_all

    for spec in load_all().specs():
        typer.echo(
            f"{spec.event_type} v{spec.version}  {spec.topic}  {spec.payload_type}  "
            f"key={spec.key_label}  producer={spec.producer}"
        )


@events_app.command("topics")
def topics() -> None:
    """List the declared topics of this environment with partitions, retention and key."""
    from eventbus.topics import TOPICS

    env = get_settings().env
    for name in sorted(TOPICS):
        decl = TOPICS[name]
        retention = "forever" if decl.retention_days is None else f"{decl.retention_days}d"
        policy = "compact" if decl.compacted else "delete"
        typer.echo(f"{decl.name(env)}  p={decl.partitions}  {retention}  {policy}  key={decl.key}")


@events_app.command("ensure-topics")
def ensure_topics() -> None:
    """Create every declared topic that is missing on the configured bus (idempotent)."""
    asyncio.run(_ensure_topics())
    typer.echo("topics ensured")


async def _ensure_topics() -> None:
    from eventbus.factory import create_bus
    from eventbus.topics import ensure_topics as ensure

    settings = get_settings()
    bus = create_bus(settings, client_id="orion-cli")
    await bus.start()
    try:
        await ensure(bus, settings.env)
    finally:
        await bus.stop()


@events_app.command("probe")
def probe(count: int = typer.Option(100, min=1, max=100_000, help="Probes to send.")) -> None:
    """Publish ProbeEmitted events on the configured bus and read them back (round trip)."""
    elapsed, received = asyncio.run(_probe(count))
    typer.echo(f"sent {count}, received {received} in {elapsed:.3f}s ({received / elapsed:.0f}/s)")
    if received != count:
        raise typer.Exit(1)


async def _probe(count: int) -> tuple[float, int]:
    from eventbus.bus import ConsumerConfig
    from eventbus.envelope import encode_event
    from eventbus.factory import create_bus
    from eventbus.known_events import load_all
    from eventbus.topics import ensure_topics as ensure
    from eventbus.topics import topic_name
    from orion.ops.v1.probe_pb2 import ProbeEmitted

    load_all()
    settings = get_settings()
    run = f"probe-{uuid.uuid4().hex[:12]}"
    bus = create_bus(settings, client_id="orion-probe")
    await bus.start()
    try:
        await ensure(bus, settings.env)
        consumer = bus.consumer(
            ConsumerConfig(group_id=run, topics=[topic_name("ops.probes.v1", settings.env)])
        )
        await consumer.start()
        started = time.perf_counter()
        records = [
            encode_event(
                ProbeEmitted(probe_id=run, seq=i),
                env=settings.env,
                sequence=i,
                tenant_id="ops",
                correlation_id=run,
            )[1]
            for i in range(1, count + 1)
        ]
        await bus.publish_batch(records)
        received = 0
        deadline = started + 30
        while received < count and time.perf_counter() < deadline:
            batch = await consumer.poll(500)
            received += sum(1 for r in batch if r.header("correlation_id") == run)
        elapsed = time.perf_counter() - started
        await consumer.stop()
        return elapsed, received
    finally:
        await bus.stop()


@events_app.command("tail")
def tail(
    topic: str = typer.Argument(..., help="Logical topic, e.g. rfq.lifecycle.v1."),
    limit: int = typer.Option(20, min=1, help="Stop after this many events."),
    from_beginning: bool = typer.Option(False, "--from-beginning", help="Start at offset 0."),
    wait: float = typer.Option(5.0, help="Stop after this many idle seconds."),
) -> None:
    """Print decoded events of a topic as JSON lines (envelope + payload); never commits."""
    asyncio.run(_tail(topic, limit, from_beginning, wait))


async def _tail(topic: str, limit: int, from_beginning: bool, wait: float) -> None:
    import json

    from google.protobuf.json_format import MessageToDict

    from eventbus.bus import ConsumerConfig
    from eventbus.envelope import decode
    from eventbus.errors import NonRetryableError
    from eventbus.factory import create_bus
    from eventbus.known_events import load_all
    from eventbus.topics import topic_name

    load_all()
    settings = get_settings()
    bus = create_bus(settings, client_id="orion-tail")
    await bus.start()
    start = "earliest" if from_beginning else "latest"
    name = topic_name(topic, settings.env)
    group = f"orion-tail-{uuid.uuid4().hex[:8]}"
    consumer = bus.consumer(ConsumerConfig(group_id=group, topics=[name], start_from=start))
    await consumer.start()
    shown = 0
    try:
        while shown < limit:
            records = await consumer.poll(int(wait * 1000))
            if not records:
                break
            for record in records[: limit - shown]:
                try:
                    event = decode(record)
                    line = MessageToDict(event.envelope) | {"payload": MessageToDict(event.payload)}
                except NonRetryableError as exc:
                    line = {"offset": record.offset, "undecodable": str(exc)}
                typer.echo(json.dumps(line, sort_keys=True))
                shown += 1
    finally:
        await consumer.stop()
        await bus.stop()


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")

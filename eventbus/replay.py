"""Rebuild a read model from the log into a fresh generation, then swap it in atomically."""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eventbus.bus import ConsumedRecord, Consumer, ConsumerConfig, EventBus, TopicPartition
from eventbus.consumer import Projector
from eventbus.envelope import decode
from eventbus.errors import NonRetryableError
from eventbus.readmodel import ReadModelStore, Stored, checksum
from eventbus.topics import topic_name

# Modules that register rebuildable read models; each owner adds one line (like known_events).
READ_MODEL_MODULES: tuple[str, ...] = ("services.rfq.projections", "services.execution.projections")


@dataclass(frozen=True)
class RebuildableReadModel:
    """A read model the platform can drop and rebuild: its name, topics and projector."""

    name: str
    # Logical topics (`rfq.lifecycle.v1`), resolved per environment.
    topics: Sequence[str]
    projector: Projector
    description: str = ""


_MODELS: dict[str, RebuildableReadModel] = {}


def register_read_model(model: RebuildableReadModel) -> RebuildableReadModel:
    existing = _MODELS.get(model.name)
    if existing is not None and existing != model:
        raise ValueError(f"read model {model.name!r} is already registered differently")
    _MODELS[model.name] = model
    return model


def read_models() -> dict[str, RebuildableReadModel]:
    """Every registered read model (imports READ_MODEL_MODULES first)."""
    for module in READ_MODEL_MODULES:
        importlib.import_module(module)
    return dict(sorted(_MODELS.items()))


@dataclass
class Progress:
    events: int
    skipped: int
    elapsed_s: float
    phase: str

    @property
    def rate(self) -> float:
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(frozen=True)
class RebuildResult:
    model: str
    generation: str
    replaced: str
    events: int
    skipped: int
    elapsed_s: float
    entries: int
    checksum: str


class PinnedStore:
    """A store view writing one model into a chosen generation (the one being rebuilt)."""

    def __init__(self, store: ReadModelStore, model: str, generation: str) -> None:
        self._store, self._model, self._gen = store, model, generation

    def _pin(self, model: str, generation: str | None) -> str | None:
        return self._gen if model == self._model else generation

    async def apply(
        self, model: str, key: str, sequence: int, value: bytes, generation: str | None = None
    ) -> bool:
        return await self._store.apply(model, key, sequence, value, self._pin(model, generation))

    async def get(self, model: str, key: str, generation: str | None = None) -> Stored | None:
        return await self._store.get(model, key, self._pin(model, generation))

    async def active_generation(self, model: str) -> str:
        return await self._store.active_generation(model)

    async def swap(self, model: str, generation: str) -> str:
        return await self._store.swap(model, generation)

    async def entries(self, model: str, generation: str | None = None) -> dict[str, Stored]:
        return await self._store.entries(model, self._pin(model, generation))

    async def drop(self, model: str, generation: str) -> int:
        return await self._store.drop(model, generation)


ProgressHook = Callable[[Progress], None]


class _Rebuild:
    def __init__(self, model: RebuildableReadModel, store: PinnedStore, hook: ProgressHook) -> None:
        self.model, self.store, self.hook = model, store, hook
        self.events = self.skipped = 0
        self.started = time.perf_counter()
        self.seen: dict[TopicPartition, int] = {}

    async def apply(self, records: Sequence[ConsumedRecord]) -> None:
        for record in records:
            self.seen[record.topic_partition] = record.offset
            try:
                event = decode(record)
            except NonRetryableError:
                self.skipped += 1  # the live consumer dead-lettered it too
                continue
            await self.model.projector(event.envelope, event.payload, self.store)
            self.events += 1

    def report(self, phase: str) -> None:
        elapsed = time.perf_counter() - self.started
        self.hook(Progress(self.events, self.skipped, elapsed, phase))

    async def read_to_end(self, consumer: Consumer, phase: str, idle_polls: int = 6) -> None:
        """Apply records until every partition reached the end offset read at the start."""
        ends: dict[TopicPartition, int] | None = None
        idle = 0
        while idle < idle_polls:
            batch = await consumer.poll(timeout_ms=500)
            idle = 0 if batch else idle + 1
            await self.apply(batch)
            assigned = sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))
            if assigned and ends is None:
                ends = await consumer.end_offsets(assigned)
            if ends is not None and all(self.seen.get(tp, -1) + 1 >= e for tp, e in ends.items()):
                break
            if batch:
                self.report(phase)


async def rebuild(
    model: RebuildableReadModel,
    bus: EventBus,
    store: ReadModelStore,
    *,
    env: str,
    on_progress: ProgressHook = lambda _p: None,
) -> RebuildResult:
    """Replay every topic of `model` from offset 0 into a new generation, swap, catch up, and
    drop the retired generation. The live projector keeps writing meanwhile: its writes follow
    the pointer, and both sides are sequence-guarded, so neither can undo the other."""
    generation = f"g{time.time_ns() // 1_000_000}"
    work = _Rebuild(model, PinnedStore(store, model.name, generation), on_progress)
    config = ConsumerConfig(
        group_id=f"orion-replay-{model.name}-{uuid.uuid4().hex[:8]}",
        topics=[topic_name(t, env) for t in model.topics],
        start_from="earliest",
    )
    consumer = bus.consumer(config)
    await consumer.start()
    try:
        await work.read_to_end(consumer, "rebuild")
        replaced = await store.swap(model.name, generation)
        # Events the live projector applied to the old generation just before the swap.
        await work.read_to_end(consumer, "catch-up", idle_polls=2)
    finally:
        await consumer.stop()
    if replaced != generation:
        await store.drop(model.name, replaced)
    work.report("done")
    entries = await store.entries(model.name, generation)
    return RebuildResult(
        model.name,
        generation,
        replaced,
        work.events,
        work.skipped,
        time.perf_counter() - work.started,
        len(entries),
        checksum(entries),
    )

"""core.heap: the collector settings every long-running process applies (ADR 0017)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from core import heap
from core.settings import Settings


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_tune_collector_applies_the_thresholds() -> None:
    heap.tune_collector((1000, 50, 20))
    assert gc.get_threshold() == (1000, 50, 20)
    heap.tune_collector()
    assert gc.get_threshold() == heap.DEFAULT_THRESHOLDS


@pytest.mark.usefixtures("restored_collector")
def test_freeze_moves_live_objects_out_of_collection_and_drops_garbage_first() -> None:
    class Node:
        def __init__(self) -> None:
            self.other: Node | None = None

    kept = [Node() for _ in range(100)]
    garbage_a, garbage_b = Node(), Node()
    garbage_a.other, garbage_b.other = garbage_b, garbage_a  # a cycle only the collector frees
    garbage = weakref.ref(garbage_a)
    del garbage_a, garbage_b
    frozen = heap.freeze_startup_heap()
    assert frozen == gc.get_freeze_count() > len(kept)
    # The cycle was collected before the freeze: frozen, it would have leaked for good.
    assert garbage() is None
    # A frozen object is no longer tracked by any generation a collection walks.
    assert all(kept_obj not in gc.get_objects() for kept_obj in kept[:3])


def test_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORION_GC_THRESHOLDS", "[2000, 20, 5]")
    assert Settings().gc_thresholds == (2000, 20, 5)
    monkeypatch.delenv("ORION_GC_THRESHOLDS")
    assert Settings().gc_thresholds == heap.DEFAULT_THRESHOLDS

"""Per-file, process-wide state of the embedded log: consumer groups and consumer wake-ups."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from eventbus.embedded.groups import GroupCoordinator


class Hub:
    """Shared by every EmbeddedBus of one process on one file (e.g. several services in one
    `orion dev` process), so group members split partitions and appends wake all consumers."""

    def __init__(self) -> None:
        self.refs = 0
        self._groups: dict[str, GroupCoordinator] = {}
        self._member_ids = itertools.count(1)
        self._changed = asyncio.Event()

    def group(self, group_id: str) -> GroupCoordinator:
        return self._groups.setdefault(group_id, GroupCoordinator())

    def next_member_id(self, client_id: str) -> str:
        return f"{client_id}-{next(self._member_ids):06d}"

    def changed(self) -> asyncio.Event:
        return self._changed

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


_HUBS: dict[Path, Hub] = {}


def acquire(path: Path) -> Hub:
    hub = _HUBS.setdefault(path.resolve(), Hub())
    hub.refs += 1
    return hub


def release(path: Path) -> None:
    """Drop the hub with its last bus: group membership is not durable, committed offsets are."""
    key = path.resolve()
    hub = _HUBS.get(key)
    if hub is not None:
        hub.refs -= 1
        if hub.refs <= 0:
            del _HUBS[key]

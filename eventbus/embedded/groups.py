"""In-process consumer-group coordination for the embedded log: a range assignor per topic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from eventbus.bus import TopicPartition


class GroupCoordinator:
    """Members of ONE group; every join or leave bumps the generation and reassigns."""

    def __init__(self) -> None:
        self._members: dict[str, tuple[str, ...]] = {}
        self._partitions: dict[str, int] = {}
        self._assignments: dict[str, frozenset[TopicPartition]] = {}
        self.generation = 0

    def join(self, member_id: str, topics: Sequence[str], partitions: Mapping[str, int]) -> None:
        self._members[member_id] = tuple(topics)
        self._partitions.update({t: partitions[t] for t in topics})
        self._rebalance()

    def leave(self, member_id: str) -> None:
        if self._members.pop(member_id, None) is not None:
            self._rebalance()

    def assignment(self, member_id: str) -> frozenset[TopicPartition]:
        return self._assignments.get(member_id, frozenset())

    @property
    def empty(self) -> bool:
        return not self._members

    def _rebalance(self) -> None:
        self.generation += 1
        owned: dict[str, set[TopicPartition]] = {m: set() for m in self._members}
        for topic in sorted({t for ts in self._members.values() for t in ts}):
            members = sorted(m for m, ts in self._members.items() if topic in ts)
            for member, parts in zip(
                members, _ranges(self._partitions[topic], len(members)), strict=True
            ):
                owned[member].update(TopicPartition(topic, p) for p in parts)
        self._assignments = {m: frozenset(tps) for m, tps in owned.items()}


def _ranges(partitions: int, members: int) -> list[range]:
    """Contiguous ranges like Kafka's RangeAssignor; the first `partitions % members` get +1."""
    base, extra = divmod(partitions, members)
    out, start = [], 0
    for i in range(members):
        size = base + (1 if i < extra else 0)
        out.append(range(start, start + size))
        start += size
    return out

"""Sequence-guarded read-model writes: Redis (atomic Lua script) and in-process, one interface.

A read model `name` lives in generations: entity `key` of generation `gen` is stored under
`orion:rm:<name>:<gen>:<key>` as {seq, val}; `orion:rm:<name>:active` names the live generation.
A write applies only when its `entity.sequence` is newer than the stored one, so redelivered or
replayed events are harmless. A rebuild fills a new generation, then swaps the pointer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

PREFIX = "orion:rm"
INITIAL_GENERATION = "g0"

# Atomic compare-and-set on the entity sequence. The live generation is resolved inside the
# script, so a projector writing during a swap can never write into a retired generation.
_APPLY_LUA = """
local gen = ARGV[5]
if gen == '' then gen = redis.call('GET', KEYS[1]) or ARGV[6] end
local k = ARGV[1] .. ':' .. gen .. ':' .. ARGV[2]
local cur = redis.call('HGET', k, 'seq')
if cur and tonumber(cur) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', k, 'seq', ARGV[3], 'val', ARGV[4])
return 1
"""


def pointer_key(model: str) -> str:
    return f"{PREFIX}:{model}:active"


def generation_prefix(model: str, generation: str) -> str:
    return f"{PREFIX}:{model}:{generation}"


@dataclass(frozen=True)
class Stored:
    sequence: int
    value: bytes


class ReadModelStore(Protocol):
    async def apply(
        self, model: str, key: str, sequence: int, value: bytes, generation: str | None = None
    ) -> bool:
        """Store `value` if `sequence` is newer than what `key` holds; True if it applied."""

    async def get(self, model: str, key: str, generation: str | None = None) -> Stored | None: ...

    async def active_generation(self, model: str) -> str: ...

    async def swap(self, model: str, generation: str) -> str:
        """Make `generation` live atomically; returns the generation it replaced."""

    async def entries(self, model: str, generation: str | None = None) -> dict[str, Stored]: ...

    async def drop(self, model: str, generation: str) -> int:
        """Delete every key of a (retired) generation; returns how many went."""


def checksum(entries: dict[str, Stored]) -> str:
    """Order-independent digest of a generation, to prove a rebuild equals the live model."""
    digest = hashlib.sha256()
    for key in sorted(entries):
        item = entries[key]
        digest.update(f"{key}\x00{item.sequence}\x00".encode() + item.value + b"\x01")
    return digest.hexdigest()


class MemoryReadModelStore:
    """The embedded profile's store: same semantics, atomic because the event loop is."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Stored]] = {}
        self._active: dict[str, str] = {}

    async def active_generation(self, model: str) -> str:
        return self._active.get(model, INITIAL_GENERATION)

    async def apply(
        self, model: str, key: str, sequence: int, value: bytes, generation: str | None = None
    ) -> bool:
        gen = generation or await self.active_generation(model)
        bucket = self._data.setdefault(generation_prefix(model, gen), {})
        current = bucket.get(key)
        if current is not None and current.sequence >= sequence:
            return False
        bucket[key] = Stored(sequence, value)
        return True

    async def get(self, model: str, key: str, generation: str | None = None) -> Stored | None:
        gen = generation or await self.active_generation(model)
        return self._data.get(generation_prefix(model, gen), {}).get(key)

    async def swap(self, model: str, generation: str) -> str:
        old = await self.active_generation(model)
        self._active[model] = generation
        return old

    async def entries(self, model: str, generation: str | None = None) -> dict[str, Stored]:
        gen = generation or await self.active_generation(model)
        return dict(self._data.get(generation_prefix(model, gen), {}))

    async def drop(self, model: str, generation: str) -> int:
        return len(self._data.pop(generation_prefix(model, generation), {}))


class RedisReadModelStore:
    """Redis-backed store; `client` is a `redis.asyncio.Redis` (bytes responses)."""

    def __init__(self, client: Any) -> None:
        self._redis = client
        self._script = client.register_script(_APPLY_LUA)

    @classmethod
    def from_url(cls, url: str) -> RedisReadModelStore:
        from redis.asyncio import Redis

        return cls(Redis.from_url(url))

    async def close(self) -> None:
        await self._redis.aclose()

    async def active_generation(self, model: str) -> str:
        raw = await self._redis.get(pointer_key(model))
        return raw.decode() if raw else INITIAL_GENERATION

    async def apply(
        self, model: str, key: str, sequence: int, value: bytes, generation: str | None = None
    ) -> bool:
        args = [f"{PREFIX}:{model}", key, sequence, value, generation or "", INITIAL_GENERATION]
        return bool(await self._script(keys=[pointer_key(model)], args=args))

    async def get(self, model: str, key: str, generation: str | None = None) -> Stored | None:
        gen = generation or await self.active_generation(model)
        raw = await self._redis.hmget(f"{generation_prefix(model, gen)}:{key}", "seq", "val")
        if raw[0] is None:
            return None
        return Stored(int(raw[0]), bytes(raw[1] or b""))

    async def swap(self, model: str, generation: str) -> str:
        old = await self._redis.set(pointer_key(model), generation, get=True)
        return old.decode() if old else INITIAL_GENERATION

    async def entries(self, model: str, generation: str | None = None) -> dict[str, Stored]:
        gen = generation or await self.active_generation(model)
        prefix = f"{generation_prefix(model, gen)}:"
        found: dict[str, Stored] = {}
        async for name in self._redis.scan_iter(match=f"{prefix}*", count=1000):
            raw = await self._redis.hmget(name, "seq", "val")
            if raw[0] is not None:
                found[name.decode()[len(prefix) :]] = Stored(int(raw[0]), bytes(raw[1] or b""))
        return found

    async def drop(self, model: str, generation: str) -> int:
        prefix = f"{generation_prefix(model, generation)}:"
        names = [name async for name in self._redis.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(names), 500):
            await self._redis.unlink(*names[start : start + 500])
        return len(names)

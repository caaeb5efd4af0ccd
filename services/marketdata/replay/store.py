"""Object-store interface for datasets; the local-directory implementation stands in for S3."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol


class ObjectStore(Protocol):
    """The S3-shaped subset datasets need: whole-object get/put and a prefix listing."""

    async def get(self, key: str) -> bytes: ...

    async def put(self, key: str, data: bytes) -> None: ...

    async def list(self, prefix: str = "") -> list[str]: ...


class LocalDirectoryStore:
    """Objects are files under `root`; keys use `/` like S3 keys and may not escape the root."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"object key {key!r} escapes the store root")
        return path

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        await asyncio.to_thread(tmp.write_bytes, data)
        tmp.replace(path)  # atomic: readers never see a half-written dataset

    async def list(self, prefix: str = "") -> list[str]:
        if not self.root.exists():
            return []
        keys = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix) and not k.endswith(".tmp"))

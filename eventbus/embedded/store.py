"""Synchronous SQLite storage of the embedded log; only ever called from the bus's own thread."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import orjson

from eventbus.bus import (
    ConsumedRecord,
    OutgoingRecord,
    RecordMetadata,
    TopicPartition,
    TopicSpec,
    partition_for,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (
  name TEXT PRIMARY KEY, partitions INTEGER NOT NULL, retention_ms INTEGER, compacted INTEGER
);
CREATE TABLE IF NOT EXISTS records (
  topic TEXT NOT NULL, part INTEGER NOT NULL, off INTEGER NOT NULL,
  key BLOB NOT NULL, value BLOB NOT NULL, headers BLOB NOT NULL, ts_ms INTEGER NOT NULL,
  PRIMARY KEY (topic, part, off)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
  group_id TEXT NOT NULL, topic TEXT NOT NULL, part INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic, part)
) WITHOUT ROWID;
"""


def _encode_headers(headers: Sequence[tuple[str, bytes]]) -> bytes:
    return orjson.dumps([[name, value.hex()] for name, value in headers])


def _decode_headers(raw: bytes) -> tuple[tuple[str, bytes], ...]:
    return tuple((name, bytes.fromhex(value)) for name, value in orjson.loads(raw))


class LogStore:
    """Append-only records per topic-partition and committed offsets per consumer group."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE) where they matter.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL survives a process crash; like Kafka's default it does not fsync per write.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def topics(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT name, partitions FROM topics").fetchall()
        return {str(name): int(parts) for name, parts in rows}

    def create_topics(self, specs: Sequence[TopicSpec]) -> None:
        with self._transaction():
            self._conn.executemany(
                "INSERT OR IGNORE INTO topics VALUES (?, ?, ?, ?)",
                [(s.name, s.partitions, s.retention_ms, int(s.compacted)) for s in specs],
            )

    def append(
        self, records: Sequence[OutgoingRecord], partitions: Mapping[str, int]
    ) -> list[RecordMetadata]:
        """Append records in ONE transaction; offsets are contiguous per topic-partition."""
        now_ms = time.time_ns() // 1_000_000
        heads: dict[tuple[str, int], int] = {}
        rows = []
        out = []
        with self._transaction():
            for rec in records:
                part = partition_for(rec.key, partitions[rec.topic])
                tp = (rec.topic, part)
                if tp not in heads:
                    heads[tp] = self._end_offset(rec.topic, part)
                offset = heads[tp]
                heads[tp] = offset + 1
                rows.append(
                    (
                        rec.topic,
                        part,
                        offset,
                        rec.key,
                        rec.value,
                        _encode_headers(rec.headers),
                        now_ms,
                    )
                )
                out.append(RecordMetadata(rec.topic, part, offset))
            self._conn.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        return out

    def fetch(
        self, positions: Sequence[tuple[TopicPartition, int]], limit: int
    ) -> list[ConsumedRecord]:
        """Up to `limit` records from the given positions, in offset order per partition."""
        out: list[ConsumedRecord] = []
        for tp, position in positions:
            if len(out) >= limit:
                break
            rows = self._conn.execute(
                "SELECT off, key, value, headers, ts_ms FROM records "
                "WHERE topic = ? AND part = ? AND off >= ? ORDER BY off LIMIT ?",
                (tp.topic, tp.partition, position, limit - len(out)),
            ).fetchall()
            out.extend(
                ConsumedRecord(
                    tp.topic,
                    tp.partition,
                    int(off),
                    bytes(key),
                    bytes(value),
                    _decode_headers(headers),
                    int(ts),
                )
                for off, key, value, headers, ts in rows
            )
        return out

    def end_offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self._end_offset(tp.topic, tp.partition) for tp in tps}

    def committed(self, group_id: str, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        found: dict[TopicPartition, int] = {}
        for tp in tps:
            row = self._conn.execute(
                "SELECT next_offset FROM group_offsets "
                "WHERE group_id = ? AND topic = ? AND part = ?",
                (group_id, tp.topic, tp.partition),
            ).fetchone()
            if row is not None:
                found[tp] = int(row[0])
        return found

    def commit(self, group_id: str, offsets: Mapping[TopicPartition, int]) -> None:
        with self._transaction():
            self._conn.executemany(
                "INSERT INTO group_offsets VALUES (?, ?, ?, ?) ON CONFLICT (group_id, topic, part) "
                "DO UPDATE SET next_offset = excluded.next_offset",
                [(group_id, tp.topic, tp.partition, off) for tp, off in offsets.items()],
            )

    def _end_offset(self, topic: str, part: int) -> int:
        row = self._conn.execute(
            "SELECT MAX(off) FROM records WHERE topic = ? AND part = ?", (topic, part)
        ).fetchone()
        return 0 if row is None or row[0] is None else int(row[0]) + 1

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT/ROLLBACK: takes the write lock up front so offsets are unique."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")

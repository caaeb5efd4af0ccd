"""The RFQ service's Postgres write path on the raw asyncpg connection: few round trips a write.

A loopback round trip costs ~100 us of CPU on the benchmark box and SQLAlchemy's per-statement
machinery ~0.3 ms more, so a command is four: BEGIN + set_config (one simple query); the audit
chain's lock, then a fresh read of its head, the idempotency key and the RFQ (one function call,
pg_functions.py); one statement writing the RFQ rows, outbox rows, sealed audit rows and the
idempotency key and notifying the relays; COMMIT (ADR 0018).
"""

# S608: the statements below are assembled once, at import, from this module's constant column
# tables; every value travels as a bind parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from core.db import Database
from eventbus.outbox import NOTIFY_CHANNEL, driver_connection
from services.audit import store as audit_store
from services.audit.chain import GENESIS_HASH, seal
from services.rfq.domain import Rfq
from services.rfq.staging import Staged
from services.rfq.store import ConcurrentModification, Loaded, from_row, to_doc

# A tenant id that can be inlined in the BEGIN query as a literal (anything else: a parameter,
# one more round trip).
_RFQ_COLUMNS = (
    "rfq_id, tenant_id, requester_id, instrument_id, state, version, sequence, created_at, "
    "expires_at, correlation_id, doc"
)
_OUTBOX = (
    ("event_id", "text"), ("tenant_id", "text"), ("topic", "text"), ("key", "bytea"),
    ("value", "bytea"), ("headers", "bytea"), ("shard", "int"), ("created_at", "timestamptz"),
)  # fmt: skip
_IDEMPOTENCY = (
    ("tenant_id", "text"), ("command", "text"), ("idempotency_key", "text"), ("rfq_id", "text"),
    ("created_at", "timestamptz"),
)  # fmt: skip
_NEW_RFQ = (
    ("rfq_id", "text"), ("tenant_id", "text"), ("requester_id", "text"),
    ("instrument_id", "text"), ("state", "text"), ("version", "bigint"), ("sequence", "bigint"),
    ("created_at", "timestamptz"), ("expires_at", "timestamptz"), ("correlation_id", "text"),
    ("doc", "text"),
)  # fmt: skip
_RFQ_UPDATE = (
    ("tenant_id", "text"), ("rfq_id", "text"), ("old_version", "bigint"), ("state", "text"),
    ("version", "bigint"), ("seq", "bigint"), ("doc", "text"),
)  # fmt: skip
Columns = tuple[tuple[str, str], ...]


def _unnest(columns: Columns, first: int) -> str:
    casts = ", ".join(f"${first + i}::{kind}[]" for i, (_, kind) in enumerate(columns))
    return f"unnest({casts})"


def _insert(name: str, table: str, columns: Columns, first: int) -> str:
    names = ", ".join(c for c, _ in columns)
    return f"{name} AS (INSERT INTO {table} ({names}) SELECT * FROM {_unnest(columns, first)})"


def _statement(rfq_cte: str, rfq_columns: Columns) -> str:
    """One statement: the RFQ rows (CTE `r`, RETURNING one row each), then outbox, audit and
    idempotency rows from column arrays, and a NOTIFY delivered at commit. Returns how many RFQ
    rows were written: fewer than asked means a version guard failed (the caller rolls back)."""
    n = len(rfq_columns) + 1
    parts = [
        rfq_cte,
        _insert("o", "outbox_events", _OUTBOX, n),
        _insert("a", "audit_log", audit_store.NATIVE_COLUMNS, n + len(_OUTBOX)),
        _insert(
            "i",
            "rfq_idempotency",
            _IDEMPOTENCY,
            n + len(_OUTBOX) + len(audit_store.NATIVE_COLUMNS),
        ),
    ]
    return (
        "WITH "
        + ", ".join(parts)
        + f" SELECT (SELECT count(*) FROM r), (SELECT pg_notify('{NOTIFY_CHANNEL}', '') IS NULL)"
    )


_INSERT_RFQS = _statement(
    "r AS (INSERT INTO rfqs ("
    + ", ".join(c for c, _ in _NEW_RFQ)
    + f") SELECT * FROM {_unnest(_NEW_RFQ, 1)} RETURNING 1)",
    _NEW_RFQ,
)
_UPDATE_RFQS = _statement(
    "r AS (UPDATE rfqs AS t SET state = u.state, version = u.version, sequence = u.seq, "
    f"doc = u.doc FROM {_unnest(_RFQ_UPDATE, 1)} AS u(tenant_id, rfq_id, old_version, state, "
    "version, seq, doc) WHERE t.tenant_id = u.tenant_id AND t.rfq_id = u.rfq_id "
    "AND t.version = u.old_version RETURNING 1)",
    _RFQ_UPDATE,
)
_READ = f"SELECT {_RFQ_COLUMNS} FROM rfq_read($1, $2)"
_LOCK_AND_LOAD = (
    f"SELECT head_seq, head_hash, replay_of, {_RFQ_COLUMNS} FROM rfq_lock_and_load($1, $2, $3, $4)"
)
_SELECT_ONE = f"SELECT {_RFQ_COLUMNS} FROM rfqs WHERE tenant_id = $1 AND rfq_id = $2"


def _columns(rows: Sequence[Sequence[object]], width: int) -> list[list[object]]:
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


def loaded_of(record: Any) -> Loaded:
    row = SimpleNamespace(**{name: record[name] for name in _RFQ_COLUMNS.split(", ")})
    return Loaded(from_row(row), int(record["version"]), int(record["sequence"]))


@dataclass(frozen=True)
class Locked:
    """What a writer sees once it holds its tenant's audit chain lock: the chain head, the RFQ
    an idempotency key already produced (if any) and the RFQs it asked for, by id."""

    head: tuple[int, str]
    replay_of: str | None
    rfqs: dict[str, Loaded]


async def lock_and_load(
    conn: Any, tenant_id: str, rfq_ids: Sequence[str], command: str = "", key: str = ""
) -> Locked:
    """Take the tenant's chain lock, then read (one round trip, rfq_lock_and_load()). Once it
    is held no other writer can move these RFQs until this transaction ends."""
    records = await conn.fetch(_LOCK_AND_LOAD, tenant_id, sorted(set(rfq_ids)), command, key)
    first = records[0]
    head = (
        (0, GENESIS_HASH)
        if first["head_seq"] is None
        else (int(first["head_seq"]), str(first["head_hash"]))
    )
    replay_of = str(first["replay_of"]) if key and first["replay_of"] is not None else None
    rfqs = {str(r["rfq_id"]): loaded_of(r) for r in records if r["rfq_id"] is not None}
    return Locked(head, replay_of, rfqs)


async def read(db: Database, tenant_id: str, rfq_id: str) -> Loaded | None:
    """One RFQ outside any transaction: a single autocommit call of rfq_read() (store.py)."""
    async with driver_connection(db) as conn:
        record = await conn.fetchrow(_READ, tenant_id, rfq_id)
    return None if record is None else loaded_of(record)


async def load(conn: Any, tenant_id: str, rfq_id: str) -> Loaded | None:
    record = await conn.fetchrow(_SELECT_ONE, tenant_id, rfq_id)
    return None if record is None else loaded_of(record)


def _new_row(rfq: Rfq, sequence: int) -> tuple[object, ...]:
    return (
        rfq.rfq_id, rfq.tenant_id, rfq.requester_id, rfq.instrument_id, rfq.state.value,
        rfq.version, sequence, rfq.created_at, rfq.expires_at, rfq.correlation_id, to_doc(rfq),
    )  # fmt: skip


def _update_row(loaded: Loaded, sequence: int) -> tuple[object, ...]:
    rfq = loaded.rfq
    return (
        rfq.tenant_id, rfq.rfq_id, loaded.version, rfq.state.value, rfq.version, sequence,
        to_doc(rfq),
    )  # fmt: skip


async def write(
    conn: Any,
    tenant_id: str,
    staged: Staged,
    *,
    new: Sequence[tuple[Rfq, int]] = (),
    updated: Sequence[tuple[Loaded, int]] = (),
    remember: tuple[str, str, str, datetime] | None = None,
    head: tuple[int, str],
) -> None:
    """Write new RFQs or version-guarded updates (one kind per call) with the staged outbox and
    audit rows (sealed here, under the chain lock) and an idempotency key (command, key, rfq id,
    at). `head` is the chain head read under the chain lock the caller holds. Raises
    ConcurrentModification when a version guard failed: roll the transaction back."""
    head_seq, head_hash = head
    sealed = seal(staged.audit, head_seq, head_hash) if staged.audit else []
    if new:
        statement, rows = _INSERT_RFQS, [_new_row(r, s) for r, s in new]
        width = len(_NEW_RFQ)
    else:
        statement, rows = _UPDATE_RFQS, [_update_row(lo, s) for lo, s in updated]
        width = len(_RFQ_UPDATE)
    outbox = [tuple(row[c] for c, _ in _OUTBOX) for row in staged.outbox]
    keys = [(tenant_id, *remember)] if remember is not None else []
    args = [
        *_columns(rows, width),
        *_columns(outbox, len(_OUTBOX)),
        *audit_store.native_columns(sealed),
        *_columns(keys, len(_IDEMPOTENCY)),
    ]
    written = await conn.fetchval(statement, *args)
    if written != len(rows):
        raise ConcurrentModification(f"{len(rows) - written} RFQ(s) changed since they were read")

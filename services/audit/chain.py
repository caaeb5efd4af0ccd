"""Pure hash-chain logic: canonical content, link hashes, sealing and verification."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """Who did what, when, why, under which correlation id. Content only: no chain fields."""

    tenant_id: str
    actor: str
    action: str
    occurred_at: datetime
    correlation_id: str
    component: str
    entity_type: str = ""
    entity_id: str = ""
    outcome: str = ""
    reason: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SealedRecord:
    """An entry at position `seq` of its tenant's chain, with the hashes that bind it."""

    seq: int
    entry: AuditEntry
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyReport:
    tenant_id: str
    checked: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str = ""


def _timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_content(seq: int, entry: AuditEntry) -> bytes:
    """Sorted-key JSON of every content field plus the position; the bytes that get hashed."""
    body = {
        "seq": seq,
        "tenant_id": entry.tenant_id,
        "actor": entry.actor,
        "action": entry.action,
        "occurred_at": _timestamp(entry.occurred_at),
        "correlation_id": entry.correlation_id,
        "component": entry.component,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "details": dict(entry.details),
    }
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def link_hash(prev_hash: str, seq: int, entry: AuditEntry) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode())
    digest.update(b"\n")
    digest.update(canonical_content(seq, entry))
    return digest.hexdigest()


def seal(entries: Sequence[AuditEntry], head_seq: int, head_hash: str) -> list[SealedRecord]:
    """Chain `entries` after the head (seq 0 and GENESIS_HASH for an empty chain)."""
    sealed: list[SealedRecord] = []
    prev, seq = head_hash, head_seq
    for entry in entries:
        seq += 1
        current = link_hash(prev, seq, entry)
        sealed.append(SealedRecord(seq, entry, prev, current))
        prev = current
    return sealed


def verify(tenant_id: str, records: Iterable[SealedRecord]) -> VerifyReport:
    """Walk a tenant's chain from seq 1: gaps, broken links and edited content all fail."""
    prev, expected, checked = GENESIS_HASH, 1, 0
    for record in records:
        problem = _problem(tenant_id, record, expected, prev)
        if problem:
            return VerifyReport(tenant_id, checked, False, record.seq, problem)
        prev, expected, checked = record.hash, expected + 1, checked + 1
    return VerifyReport(tenant_id, checked, True)


def _problem(tenant_id: str, record: SealedRecord, expected_seq: int, prev: str) -> str:
    if record.entry.tenant_id != tenant_id:
        return f"record belongs to tenant {record.entry.tenant_id}"
    if record.seq != expected_seq:
        return f"sequence gap: expected {expected_seq}, found {record.seq}"
    if record.prev_hash != prev:
        return "previous-hash link broken (a record was removed, inserted or re-hashed)"
    if link_hash(prev, record.seq, record.entry) != record.hash:
        return "content does not match its hash (the record was edited)"
    return ""

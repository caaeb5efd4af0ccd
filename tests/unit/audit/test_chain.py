"""Hash chain: sealing links records; verification finds edits, gaps, removals and re-hashes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from services.audit.chain import (
    GENESIS_HASH,
    AuditEntry,
    SealedRecord,
    canonical_content,
    link_hash,
    seal,
    verify,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def entry(i: int, tenant: str = "t1", **changes: Any) -> AuditEntry:
    base = AuditEntry(
        tenant_id=tenant, actor="alice", action=f"Action{i}",
        occurred_at=T0 + timedelta(milliseconds=i), correlation_id="corr-1",
        component="rfq-service", entity_type="rfq", entity_id=f"rfq-{i}", outcome="ok",
        reason="", details={"n": i},
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def chain(n: int) -> list[SealedRecord]:
    return seal([entry(i) for i in range(n)], 0, GENESIS_HASH)


def test_sealed_chain_links_each_record_to_the_previous_hash() -> None:
    records = chain(3)
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS_HASH
    assert records[1].prev_hash == records[0].hash
    assert records[2].prev_hash == records[1].hash
    assert len({r.hash for r in records}) == 3


def test_sealing_continues_from_an_existing_head() -> None:
    first = chain(2)
    more = seal([entry(9)], first[-1].seq, first[-1].hash)
    assert more[0].seq == 3
    assert verify("t1", [*first, *more]).ok


def test_intact_chain_verifies() -> None:
    report = verify("t1", chain(5))
    assert (report.ok, report.checked, report.first_bad_seq) == (True, 5, None)


def test_empty_chain_verifies() -> None:
    assert verify("t1", []).ok


def test_edited_content_is_detected_at_that_record() -> None:
    records = chain(4)
    edited = dataclasses.replace(
        records[2], entry=dataclasses.replace(records[2].entry, reason="x")
    )
    report = verify("t1", [*records[:2], edited, records[3]])
    assert not report.ok
    assert report.first_bad_seq == 3
    assert "edited" in report.problem


def test_removed_record_is_a_gap() -> None:
    records = chain(4)
    report = verify("t1", [records[0], records[1], records[3]])
    assert (report.ok, report.first_bad_seq) == (False, 4)
    assert "gap" in report.problem


def test_rehashed_record_breaks_the_next_link() -> None:
    records = chain(3)
    forged_entry = dataclasses.replace(records[1].entry, outcome="forged")
    forged = SealedRecord(
        2, forged_entry, records[0].hash, link_hash(records[0].hash, 2, forged_entry)
    )
    report = verify("t1", [records[0], forged, records[2]])
    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert "link" in report.problem


def test_foreign_tenant_record_is_refused() -> None:
    other = seal([entry(0, tenant="t2")], 0, GENESIS_HASH)
    report = verify("t1", other)
    assert not report.ok
    assert "tenant t2" in report.problem


def test_canonical_content_ignores_timezone_representation_and_key_order() -> None:
    plus_one = timezone(timedelta(hours=1))
    a = entry(1, details={"a": 1, "b": 2})
    b = entry(1, details={"b": 2, "a": 1}, occurred_at=a.occurred_at.astimezone(plus_one))
    assert canonical_content(1, a) == canonical_content(1, b)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        canonical_content(1, entry(1, occurred_at=datetime(2026, 1, 1)))


def test_hash_covers_the_sequence_number() -> None:
    e = entry(1)
    assert link_hash(GENESIS_HASH, 1, e) != link_hash(GENESIS_HASH, 2, e)

"""Reads the audit trail (audit_log, append-only) by correlation id, tenant-scoped, read only.

The RFQ service audits every command, decision and event under the caller's correlation id;
an Rfq or Trade shows the records of its own correlation id (what `orion audit trace` prints).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from bff.grpc.errors import DownstreamUnavailable
from core.db import Database
from services.audit.store import AuditRow

MAX_RECORDS = 200  # per correlation id


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    action: str
    actor: str
    component: str
    outcome: str
    reason: str
    entity_id: str
    correlation_id: str


def _record(row: AuditRow) -> AuditRecord:
    at = row.occurred_at if row.occurred_at.tzinfo else row.occurred_at.replace(tzinfo=UTC)
    return AuditRecord(
        at=at,
        action=row.action,
        actor=row.actor,
        component=row.component,
        outcome=row.outcome,
        reason=row.reason,
        entity_id=row.entity_id,
        correlation_id=row.correlation_id,
    )


class AuditTrail:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def of_correlations(
        self, tenant_id: str, correlation_ids: list[str]
    ) -> dict[str, list[AuditRecord]]:
        """One query for many correlation ids (the DataLoader's batch), in time order."""
        stmt = (
            select(AuditRow)
            .where(AuditRow.tenant_id == tenant_id)
            .where(col(AuditRow.correlation_id).in_(correlation_ids))
            .order_by(col(AuditRow.occurred_at), col(AuditRow.seq))
        )
        found: dict[str, list[AuditRecord]] = defaultdict(list)
        try:
            async with self.db.tenant_session(tenant_id) as session:
                for row in (await session.exec(stmt)).all():
                    if len(found[row.correlation_id]) < MAX_RECORDS:
                        found[row.correlation_id].append(_record(row))
        except (SQLAlchemyError, OSError) as exc:
            raise DownstreamUnavailable("audit", type(exc).__name__) from exc
        return found

"""AuditEntry: one record of the audit trail, as shown on an RFQ or a trade."""

from __future__ import annotations

from datetime import datetime

import strawberry

from bff.context import Info
from bff.grpc.rfq_audit import AuditRecord


@strawberry.type(description="One audit record: who did what, when, and with which outcome")
class AuditEntry:
    at: datetime
    event: str = strawberry.field(description="The command, decision or event audited")
    actor: str | None
    component: str
    outcome: str | None
    detail: str | None = strawberry.field(description="Why (the decision's reason), if given")
    entity_id: strawberry.ID | None
    correlation_id: str

    @classmethod
    def of(cls, record: AuditRecord) -> AuditEntry:
        return cls(
            at=record.at,
            event=record.action,
            actor=record.actor or None,
            component=record.component,
            outcome=record.outcome or None,
            detail=record.reason or None,
            entity_id=strawberry.ID(record.entity_id) if record.entity_id else None,
            correlation_id=record.correlation_id,
        )


async def audit_of(info: Info, correlation_id: str) -> list[AuditEntry] | None:
    """The records of one correlation id in the caller's tenant; None without an audit store."""
    if not correlation_id:
        return []
    tenant = info.context.require_principal().tenant_id
    records = await info.context.loaders.audit.load((tenant, correlation_id))
    return None if records is None else [AuditEntry.of(r) for r in records]

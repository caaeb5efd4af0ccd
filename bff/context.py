"""Per-request (or per-WebSocket-session) typed context: principal, correlation id, loaders."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from bff.auth import MissingToken, Principal
from bff.grpc.channels import Downstreams
from bff.grpc.rfq_audit import AuditRecord
from bff.ratelimit import RateLimiter
from core.logging import correlation_id_var, tenant_id_var
from orion.refdata.v1 import refdata_pb2 as pb

# Set per WebSocket operation (`<session id>/<operation id>`): one socket runs many operations.
operation_correlation_var: ContextVar[str | None] = ContextVar(
    "bff_operation_correlation", default=None
)


AuditKey = tuple[str, str]  # (tenant id, correlation id)


class NotAuthenticated(MissingToken):
    """No principal on this request; surfaced as extensions.code UNAUTHENTICATED."""


def _instrument_loader(downstreams: Downstreams) -> DataLoader[str, pb.Instrument | None]:
    async def load(ids: list[str]) -> list[pb.Instrument | None]:
        found = await downstreams.refdata.batch_get(ids)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load, max_batch_size=200)


def _audit_loader(downstreams: Downstreams) -> DataLoader[AuditKey, list[AuditRecord] | None]:
    """(tenant, correlation id) -> its audit records; None when no audit store is configured."""

    async def load(keys: list[AuditKey]) -> list[list[AuditRecord] | None]:
        trail = downstreams.audit
        if trail is None:
            return [None for _ in keys]
        found: dict[AuditKey, list[AuditRecord]] = {}
        for tenant in {t for t, _ in keys}:
            ids = [c for t, c in keys if t == tenant]
            rows = await trail.of_correlations(tenant, ids)
            found.update({(tenant, c): rows.get(c, []) for c in ids})
        return [found[k] for k in keys]

    return DataLoader(load_fn=load, max_batch_size=200)


@dataclass
class Loaders:
    """Fresh per request, so nothing is cached across users or tenants."""

    instruments: DataLoader[str, pb.Instrument | None]
    audit: DataLoader[AuditKey, list[AuditRecord] | None]

    @classmethod
    def create(cls, downstreams: Downstreams) -> Loaders:
        return cls(instruments=_instrument_loader(downstreams), audit=_audit_loader(downstreams))


@dataclass
class OrionContext:
    subgraph: str
    correlation_id: str
    downstreams: Downstreams
    loaders: Loaders
    principal: Principal | None = None
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] = field(default_factory=dict)
    auth_failure: str | None = None
    rate_limiter: RateLimiter | None = None

    def require_principal(self) -> Principal:
        if self.principal is None:
            detail = f": {self.auth_failure}" if self.auth_failure else ""
            raise NotAuthenticated(f"authentication required (send a bearer access token){detail}")
        return self.principal

    def current_correlation_id(self) -> str:
        """The operation's id on a WebSocket, the request's (or session's) id otherwise."""
        return operation_correlation_var.get() or self.correlation_id

    def bind_logging(self) -> None:
        """Correlation and tenant into the contextvars read by the logger and the gRPC metadata."""
        correlation_id_var.set(self.current_correlation_id())
        tenant_id_var.set(self.principal.tenant_id if self.principal else None)


Info = StrawberryInfo[OrionContext, None]

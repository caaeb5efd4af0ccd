"""`tenant`: the caller's own tenant."""

from __future__ import annotations

import strawberry

from bff.admin.tenants.types import Tenant
from bff.common.fields import field
from bff.context import Info


@strawberry.type
class TenantQueries:
    @field("Your tenant")
    def tenant(self, info: Info) -> Tenant:
        return Tenant(id=strawberry.ID(info.context.require_principal().tenant_id))

"""The typed Principal the BFF puts in every request context: who, which tenant, what allowed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from bff.auth.errors import CrossTenantAccess, MissingPermission, NotEntitled

WILDCARD = "*"


class Role(StrEnum):
    TRADER = "ROLE_TRADER"
    SALES = "ROLE_SALES"
    RISK = "ROLE_RISK"
    ANALYST = "ROLE_ANALYST"
    ADMIN = "ROLE_ADMIN"
    PLATFORM = "ROLE_PLATFORM"


def _empty_limits() -> Mapping[str, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Entitlements:
    """What a user may touch (ABAC); `*` in a set means every value. Max notional in quote units."""

    asset_classes: frozenset[str] = frozenset()
    instruments: frozenset[str] = frozenset()
    product_groups: frozenset[str] = frozenset()
    venues: frozenset[str] = frozenset()
    max_notional: Decimal = Decimal(0)
    rate_limits: Mapping[str, int] = field(default_factory=_empty_limits)

    def allows_asset_class(self, asset_class: str) -> bool:
        return _contains(self.asset_classes, asset_class)

    def allows_venue(self, venue: str) -> bool:
        return _contains(self.venues, venue)

    def allows_instrument(self, instrument_id: str, product_group: str | None = None) -> bool:
        """An instrument is allowed by its id or by the product group it belongs to."""
        if _contains(self.instruments, instrument_id):
            return True
        return product_group is not None and _contains(self.product_groups, product_group)

    def allows_notional(self, notional: Decimal) -> bool:
        return Decimal(0) <= notional <= self.max_notional

    def rate_limit(self, name: str) -> int | None:
        return self.rate_limits.get(name)


def _contains(allowed: frozenset[str], value: str) -> bool:
    return WILDCARD in allowed or value in allowed


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. `token_id`/`session_id` allow targeted revocation."""

    sub: str
    tenant_id: str
    roles: frozenset[Role]
    entitlements: Entitlements = field(default_factory=Entitlements)
    issuer: str = ""
    client_id: str | None = None
    token_id: str | None = None
    session_id: str | None = None
    expires_at: int = 0
    username: str | None = None
    scopes: frozenset[str] = frozenset()

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    def require_tenant(self, tenant_id: str) -> None:
        """Fail as "not found" on another tenant's resource: no existence leak."""
        if tenant_id != self.tenant_id:
            raise CrossTenantAccess("not found")

    def require_role(self, *roles: Role) -> None:
        if not self.has_role(*roles):
            wanted = ", ".join(sorted(roles))
            raise MissingPermission(f"requires one of: {wanted}")

    def require_instrument(
        self,
        instrument_id: str,
        *,
        asset_class: str | None = None,
        product_group: str | None = None,
    ) -> None:
        ents = self.entitlements
        if asset_class is not None and not ents.allows_asset_class(asset_class):
            raise NotEntitled(f"asset class {asset_class} not entitled")
        if not ents.allows_instrument(instrument_id, product_group):
            raise NotEntitled(f"instrument {instrument_id} not entitled")

    def require_venue(self, venue: str) -> None:
        if not self.entitlements.allows_venue(venue):
            raise NotEntitled(f"venue {venue} not entitled")

    def require_notional(self, notional: Decimal) -> None:
        if not self.entitlements.allows_notional(notional):
            raise NotEntitled(f"notional {notional} exceeds limit {self.entitlements.max_notional}")

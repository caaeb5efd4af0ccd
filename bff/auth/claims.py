"""Claims → Principal, driven by a mapping so any OIDC issuer (Keycloak, Cognito) fits by config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from bff.auth.errors import InvalidClaims
from bff.auth.principal import Entitlements, Principal, Role


@dataclass(frozen=True, slots=True)
class ClaimMapping:
    """Where each part of the Principal lives in a token; dotted paths (`realm_access.roles`)."""

    tenant_claim: str = "tenant_id"
    roles_claim: str = "roles"
    entitlements_claim: str = "entitlements"
    role_prefix: str = ""
    username_claim: str = "preferred_username"
    client_claim: str = "azp"

    def principal(self, claims: Mapping[str, Any], issuer: str) -> Principal:
        sub = claims.get("sub")
        tenant = lookup(claims, self.tenant_claim)
        if not isinstance(sub, str) or not sub:
            raise InvalidClaims("sub is missing")
        if not isinstance(tenant, str) or not tenant:
            raise InvalidClaims("tenant is missing")
        raw_ents = lookup(claims, self.entitlements_claim)
        return Principal(
            sub=sub,
            tenant_id=tenant,
            roles=self._roles(lookup(claims, self.roles_claim)),
            entitlements=parse_entitlements(raw_ents if isinstance(raw_ents, Mapping) else {}),
            issuer=issuer,
            client_id=_opt_str(lookup(claims, self.client_claim)),
            token_id=_opt_str(claims.get("jti")),
            session_id=_opt_str(claims.get("sid")),
            expires_at=int(claims.get("exp", 0)),
            username=_opt_str(lookup(claims, self.username_claim)),
            scopes=frozenset(str(claims.get("scope", "")).split()),
        )

    def _roles(self, raw: object) -> frozenset[Role]:
        # Unknown roles (Keycloak adds offline_access, uma_authorization, ...) are ignored.
        known = {r.value: r for r in Role}
        names = raw if isinstance(raw, list) else []
        return frozenset(
            known[self.role_prefix + n] for n in names if self.role_prefix + str(n) in known
        )


def lookup(claims: Mapping[str, Any], path: str) -> object:
    node: object = claims
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def parse_entitlements(raw: Mapping[str, Any]) -> Entitlements:
    limits = raw.get("rate_limits") or {}
    if not isinstance(limits, Mapping):
        raise InvalidClaims("entitlements.rate_limits must be an object")
    return Entitlements(
        asset_classes=_str_set(raw.get("asset_classes")),
        instruments=_str_set(raw.get("instruments")),
        product_groups=_str_set(raw.get("product_groups")),
        venues=_str_set(raw.get("venues")),
        max_notional=_decimal(raw.get("max_notional", "0")),
        rate_limits=MappingProxyType({str(k): int(v) for k, v in limits.items()}),
    )


def _str_set(raw: object) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if isinstance(raw, str):  # a single-valued attribute mapper emits a bare string
        return frozenset({raw})
    if isinstance(raw, list):
        return frozenset(str(v) for v in raw)
    raise InvalidClaims("entitlement sets must be arrays of strings")


def _decimal(raw: object) -> Decimal:
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise InvalidClaims("max_notional must be a decimal string")
    try:
        # str() first: a float from JSON keeps its shortest repr, not its binary expansion.
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise InvalidClaims("max_notional is not a number") from exc
    if not value.is_finite() or value < 0:
        raise InvalidClaims("max_notional must be finite and non-negative")
    return value


def _opt_str(raw: object) -> str | None:
    return raw if isinstance(raw, str) and raw else None

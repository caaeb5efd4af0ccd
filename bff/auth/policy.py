"""Declared access policy of every GraphQL root operation, enforced before any resolver runs.

Each subgraph's Query/Mutation/Subscription field has one entry in POLICIES. `PolicyGuard` (a
Strawberry schema extension) refuses an operation with no declared policy (deny by default),
so a new operation cannot ship unguarded; the authorization-matrix test walks the live schema
against the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from graphql import GraphQLResolveInfo
from strawberry.extensions import SchemaExtension

from bff.auth.errors import AuthError, MissingPermission, MissingToken
from bff.auth.permissions import ROLE_PERMISSIONS, Permission
from bff.auth.principal import Principal, Role

ROOT_TYPES = frozenset({"Query", "Mutation", "Subscription"})


class Access(StrEnum):
    PUBLIC = "public"  # no principal needed (federation plumbing only)
    AUTHENTICATED = "authenticated"  # any valid token of any role
    PERMISSION = "permission"  # a role granting `permission`


class Decision(StrEnum):
    ALLOW = "allow"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class Policy:
    access: Access
    permission: Permission | None = None
    note: str = ""

    def decide(self, principal: Principal | None) -> Decision:
        if self.access is Access.PUBLIC:
            return Decision.ALLOW
        if principal is None:
            return Decision.UNAUTHENTICATED
        if self.access is Access.AUTHENTICATED:
            return Decision.ALLOW
        granted = any(self.permission in ROLE_PERMISSIONS[r] for r in principal.roles)
        return Decision.ALLOW if granted else Decision.FORBIDDEN

    def roles_allowed(self) -> frozenset[Role]:
        return frozenset(r for r in Role if self.decide(_probe(r)) is Decision.ALLOW)


def _probe(role: Role) -> Principal:
    return Principal(sub="probe", tenant_id="probe", roles=frozenset({role}))


def public(note: str) -> Policy:
    return Policy(Access.PUBLIC, note=note)


def authenticated(note: str = "") -> Policy:
    return Policy(Access.AUTHENTICATED, note=note)


def needs(permission: Permission, note: str = "") -> Policy:
    return Policy(Access.PERMISSION, permission, note)


_P = Permission
_FEDERATION = {
    "Query._service": public("SDL for gateway composition"),
    "Query._entities": authenticated("entity resolvers also check the principal's tenant"),
}

# Key: "<subgraph>:<RootType>.<field>" (GraphQL field names, camelCase).
POLICIES: dict[str, Policy] = {
    **{
        f"{sg}:{k}": v
        for sg in ("workstation", "admin", "analytics")
        for k, v in _FEDERATION.items()
    },
    "workstation:Query.me": authenticated("the caller's own profile"),
    "workstation:Query.instrument": authenticated("entitlement-filtered: NotEntitled result"),
    "workstation:Query.instruments": authenticated("entitlement-filtered list"),
    "workstation:Subscription.heartbeat": authenticated("session liveness"),
    "workstation:Query.marketSnapshot": needs(_P.VIEW_PRICES, "every desk role sees prices"),
    "workstation:Subscription.marketData": needs(_P.VIEW_PRICES, "every desk role sees prices"),
    "workstation:Mutation.createRfq": needs(_P.SEND_RFQ, "traders; entitlement + pre-trade"),
    "workstation:Mutation.acceptQuote": needs(_P.ACCEPT_QUOTE, "traders; own tenant's RFQs"),
    "workstation:Mutation.cancelRfq": needs(_P.SEND_RFQ, "traders; own tenant's RFQs"),
    "workstation:Subscription.rfqUpdates": needs(_P.SEND_RFQ, "live quotes: trader-facing"),
    "workstation:Query.rfq": needs(_P.VIEW_TRADES, "blotter view: trader, sales, risk, analyst"),
    "workstation:Query.rfqs": needs(_P.VIEW_TRADES, "blotter view: trader, sales, risk, analyst"),
    "workstation:Query.trades": needs(_P.VIEW_TRADES, "blotter view: trader, sales, risk, analyst"),
    "workstation:Query.trade": needs(_P.VIEW_TRADES, "blotter view: trader, sales, risk, analyst"),
    "workstation:Subscription.blotterUpdates": needs(
        _P.VIEW_TRADES, "blotter view: trader, sales, risk, analyst"
    ),
    "workstation:Query.uiPreferences": authenticated("the caller's own (tenant, user) document"),
    "workstation:Mutation.saveUiPreferences": authenticated("the caller's own document only"),
    "admin:Query.venues": needs(_P.MANAGE_REFDATA),
    "admin:Query.tenant": authenticated("the caller's own tenant only"),
    "admin:Mutation.upsertInstrument": needs(_P.MANAGE_REFDATA),
    "analytics:Query.coverage": needs(_P.VIEW_ANALYTICS),
}


def policy_key(subgraph: str, root: str, field: str) -> str:
    return f"{subgraph}:{root}.{field}"


def policy_for(subgraph: str, root: str, field: str) -> Policy | None:
    return POLICIES.get(policy_key(subgraph, root, field))


def enforce(subgraph: str, root: str, field: str, principal: Principal | None) -> None:
    """Raise the typed error of the declared decision (or of a missing declaration)."""
    policy = policy_for(subgraph, root, field)
    if policy is None:
        raise MissingPermission(f"{root}.{field} has no declared access policy")
    decision = policy.decide(principal)
    if decision is Decision.UNAUTHENTICATED:
        raise MissingToken("authentication required (send a bearer access token)")
    if decision is Decision.FORBIDDEN:
        raise MissingPermission(f"missing permission {policy.permission}")


def enforce_subscription(info: Any) -> None:
    """Call first in a subscription generator: PolicyGuard runs when an event is resolved, which
    is after the generator already started (and may have called a downstream)."""
    ctx = info.context
    enforce(getattr(ctx, "subgraph", ""), "Subscription", info.field_name, ctx.principal)


class PolicyGuard(SchemaExtension):
    """Checks root fields against POLICIES before their resolver runs.

    Reads `info.context.subgraph` and `info.context.principal` (the BFF's OrionContext).
    """

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        parent = info.parent_type.name
        if parent in ROOT_TYPES and not info.field_name.startswith("__"):
            ctx = info.context
            enforce(getattr(ctx, "subgraph", ""), parent, info.field_name, ctx.principal)
        return _next(root, info, *args, **kwargs)


__all__ = [
    "POLICIES",
    "Access",
    "AuthError",
    "Decision",
    "Policy",
    "PolicyGuard",
    "enforce",
    "enforce_subscription",
]

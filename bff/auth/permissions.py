"""Permissions per role (RBAC): what each role may do, checked by name in resolvers and services."""

from __future__ import annotations

from enum import StrEnum

from bff.auth.errors import MissingPermission
from bff.auth.principal import Principal, Role


class Permission(StrEnum):
    VIEW_PRICES = "prices:view"
    SEND_RFQ = "rfq:send"
    ACCEPT_QUOTE = "rfq:accept"
    QUOTE_RFQ = "rfq:quote"
    MONITOR_RFQ_FLOW = "rfq:monitor"
    PLACE_ORDER = "order:place"
    CANCEL_ORDER = "order:cancel"
    VIEW_TRADES = "trade:view"
    VIEW_RISK = "risk:view"
    CONFIGURE_LIMITS = "risk:limits"
    KILL_SWITCH = "risk:kill-switch"
    VIEW_ANALYTICS = "analytics:view"
    EXPORT_DATA = "analytics:export"
    MANAGE_USERS = "admin:users"
    MANAGE_ENTITLEMENTS = "admin:entitlements"
    MANAGE_REFDATA = "admin:refdata"
    MANAGE_FEATURE_FLAGS = "admin:feature-flags"
    VIEW_AUDIT = "admin:audit"
    OPS = "platform:ops"


_P = Permission

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TRADER: frozenset(
        {
            _P.VIEW_PRICES,
            _P.SEND_RFQ,
            _P.ACCEPT_QUOTE,
            _P.PLACE_ORDER,
            _P.CANCEL_ORDER,
            _P.VIEW_TRADES,
        }
    ),
    Role.SALES: frozenset({_P.VIEW_PRICES, _P.QUOTE_RFQ, _P.MONITOR_RFQ_FLOW, _P.VIEW_TRADES}),
    Role.RISK: frozenset(
        {_P.VIEW_PRICES, _P.VIEW_TRADES, _P.VIEW_RISK, _P.CONFIGURE_LIMITS, _P.KILL_SWITCH}
    ),
    Role.ANALYST: frozenset({_P.VIEW_PRICES, _P.VIEW_TRADES, _P.VIEW_ANALYTICS, _P.EXPORT_DATA}),
    Role.ADMIN: frozenset(
        {
            _P.MANAGE_USERS,
            _P.MANAGE_ENTITLEMENTS,
            _P.MANAGE_REFDATA,
            _P.MANAGE_FEATURE_FLAGS,
            _P.VIEW_AUDIT,
        }
    ),
    # Internal operations only: the PRD gives platform engineers no trading actions.
    Role.PLATFORM: frozenset({_P.OPS}),
}


def permissions_of(principal: Principal) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in principal.roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


def can(principal: Principal, permission: Permission) -> bool:
    return any(permission in ROLE_PERMISSIONS[role] for role in principal.roles)


def require(principal: Principal, permission: Permission) -> None:
    if not can(principal, permission):
        raise MissingPermission(f"missing permission {permission.value}")

"""Role permissions, entitlement checks and claim mapping (Orion claims and Keycloak-style)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bff.auth import (
    ClaimMapping,
    CrossTenantAccess,
    Entitlements,
    MissingPermission,
    NotEntitled,
    Permission,
    Principal,
    Role,
    can,
    require,
)
from bff.auth.claims import parse_entitlements
from bff.auth.errors import InvalidClaims

from .tokens import ISSUER, default_claims


def principal(*roles: Role, **ents: object) -> Principal:
    return Principal(
        sub="u",
        tenant_id="t-a",
        roles=frozenset(roles),
        entitlements=Entitlements(**ents),  # type: ignore[arg-type]
    )


def test_trader_may_send_rfq_but_not_manage_users() -> None:
    trader = principal(Role.TRADER)
    assert can(trader, Permission.SEND_RFQ)
    with pytest.raises(MissingPermission):
        require(trader, Permission.MANAGE_USERS)


def test_platform_role_has_no_trading_action() -> None:
    ops = principal(Role.PLATFORM)
    trading = [Permission.SEND_RFQ, Permission.ACCEPT_QUOTE, Permission.PLACE_ORDER]
    assert not any(can(ops, p) for p in trading)
    assert can(ops, Permission.OPS)


def test_roles_combine() -> None:
    both = principal(Role.SALES, Role.TRADER)
    assert can(both, Permission.QUOTE_RFQ)
    assert can(both, Permission.ACCEPT_QUOTE)


def test_other_tenant_answers_not_found() -> None:
    with pytest.raises(CrossTenantAccess) as info:
        principal(Role.TRADER).require_tenant("t-b")
    assert info.value.http_status == 404


def test_instrument_allowed_by_id_or_product_group() -> None:
    p = principal(instruments=frozenset({"EURUSD"}), product_groups=frozenset({"G10"}))
    p.require_instrument("EURUSD")
    p.require_instrument("USDJPY", product_group="G10")
    with pytest.raises(NotEntitled):
        p.require_instrument("USDTRY", product_group="EM")


def test_asset_class_gate_applies_before_instrument() -> None:
    p = principal(asset_classes=frozenset({"FX"}), instruments=frozenset({"*"}))
    with pytest.raises(NotEntitled, match="asset class"):
        p.require_instrument("UST10Y", asset_class="RATES")


def test_venue_and_notional_limits() -> None:
    p = principal(venues=frozenset({"LP1"}), max_notional=Decimal("1000000"))
    p.require_venue("LP1")
    p.require_notional(Decimal("1000000"))
    with pytest.raises(NotEntitled):
        p.require_venue("LP2")
    with pytest.raises(NotEntitled):
        p.require_notional(Decimal("1000000.01"))
    with pytest.raises(NotEntitled):
        p.require_notional(Decimal("-1"))


def test_no_entitlements_means_nothing_allowed() -> None:
    p = principal(Role.TRADER)
    with pytest.raises(NotEntitled):
        p.require_notional(Decimal(1))
    with pytest.raises(NotEntitled):
        p.require_venue("LP1")


def test_orion_claims_map_to_principal() -> None:
    p = ClaimMapping().principal(default_claims(roles=["ROLE_TRADER", "offline_access"]), ISSUER)
    assert p.roles == frozenset({Role.TRADER})
    assert p.entitlements.max_notional == Decimal("5000000")
    assert p.entitlements.rate_limit("rfq_per_minute") == 60
    assert p.session_id == "sid-1"


def test_keycloak_shaped_claims_map_by_configuration_only() -> None:
    claims = {
        "sub": "kc-uuid",
        "exp": 1,
        "org": {"tenant": "tenant-b"},
        "realm_access": {"roles": ["TRADER", "default-roles-orion", "RISK"]},
        "orion": {"venues": "LP9", "max_notional": ["250000.50"]},
        "azp": "orion-workstation",
        "preferred_username": "bob",
    }
    mapping = ClaimMapping(
        tenant_claim="org.tenant",
        roles_claim="realm_access.roles",
        entitlements_claim="orion",
        role_prefix="ROLE_",
    )
    p = mapping.principal(claims, "http://kc")
    assert p.tenant_id == "tenant-b"
    assert p.roles == frozenset({Role.TRADER, Role.RISK})
    assert p.entitlements.venues == frozenset({"LP9"})
    assert p.entitlements.max_notional == Decimal("250000.50")
    assert (p.client_id, p.username) == ("orion-workstation", "bob")


@pytest.mark.parametrize(
    "raw",
    [{"max_notional": "NaN"}, {"max_notional": "-5"}, {"max_notional": True}, {"venues": 3}],
)
def test_bad_entitlements_are_invalid_claims(raw: dict[str, object]) -> None:
    with pytest.raises(InvalidClaims):
        parse_entitlements(raw)

"""Per-user token buckets: default limit, entitlement override, refill, isolation per user."""

from __future__ import annotations

import pytest

from bff.auth import Entitlements, Principal, Role
from bff.ratelimit import RateLimited, RateLimiter
from tests.unit.bff.conftest import Executor


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _user(sub: str = "u1", per_minute: int | None = None) -> Principal:
    limits = {"graphql_per_minute": per_minute} if per_minute else {}
    return Principal(
        sub=sub,
        tenant_id="acme",
        roles=frozenset({Role.TRADER}),
        entitlements=Entitlements(rate_limits=limits),
    )


def test_a_user_gets_the_default_allowance_then_is_limited() -> None:
    limiter = RateLimiter(3, clock=Clock())
    for _ in range(3):
        limiter.check(_user())
    with pytest.raises(RateLimited) as refused:
        limiter.check(_user())
    assert refused.value.extensions == {"code": "RATE_LIMITED", "limitPerMinute": 3}


def test_entitlement_overrides_the_default() -> None:
    limiter = RateLimiter(1, clock=Clock())
    for _ in range(5):
        limiter.check(_user(per_minute=5))
    with pytest.raises(RateLimited):
        limiter.check(_user(per_minute=5))


def test_tokens_refill_over_time() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    for _ in range(60):
        limiter.check(_user())
    with pytest.raises(RateLimited):
        limiter.check(_user())
    clock.now += 1.0  # one token per second at 60/min
    limiter.check(_user())


def test_users_do_not_share_a_bucket() -> None:
    limiter = RateLimiter(1, clock=Clock())
    limiter.check(_user("a"))
    limiter.check(_user("b"))
    with pytest.raises(RateLimited):
        limiter.check(_user("a"))


async def test_limited_operation_is_a_graphql_error_counting_once_per_operation(
    gql: Executor,
) -> None:
    token = gql.issuer.mint()
    ctx = await gql.context("workstation", token)
    ctx.rate_limiter = RateLimiter(2, clock=Clock())
    schema = gql.schemas["workstation"]
    two_roots = "{ me { tenantId } instruments { id } }"
    first = await schema.execute(two_roots, context_value=ctx)
    second = await schema.execute(two_roots, context_value=ctx)
    third = await schema.execute(two_roots, context_value=ctx)
    assert first.errors is None
    assert second.errors is None
    assert third.errors is not None
    assert third.errors[0].extensions["code"] == "RATE_LIMITED"  # type: ignore[index]

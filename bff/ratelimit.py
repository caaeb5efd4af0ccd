"""Per-user operation rate limits: a token bucket per (tenant, user), sized by entitlements."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from graphql import GraphQLError

from bff.auth import Principal

# The entitlement claim `rate_limits.graphql_per_minute` overrides the BFF-wide default.
ENTITLEMENT = "graphql_per_minute"
MAX_TRACKED_USERS = 100_000


class RateLimited(GraphQLError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"rate limit of {limit} operations per minute exceeded; retry shortly",
            extensions={"code": "RATE_LIMITED", "limitPerMinute": limit},
        )


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Buckets hold a minute's allowance and refill continuously; old users are evicted LRU."""

    def __init__(self, default_per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.default_per_minute = default_per_minute
        self._clock = clock
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    def limit_for(self, principal: Principal) -> int:
        return principal.entitlements.rate_limit(ENTITLEMENT) or self.default_per_minute

    def check(self, principal: Principal) -> None:
        """Take one token or raise RateLimited."""
        limit = self.limit_for(principal)
        now = self._clock()
        key = (principal.tenant_id, principal.sub)
        bucket = self._buckets.pop(key, None) or _Bucket(float(limit), now)
        bucket.tokens = min(float(limit), bucket.tokens + (now - bucket.updated) * limit / 60.0)
        bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > MAX_TRACKED_USERS:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1.0:
            raise RateLimited(limit)
        bucket.tokens -= 1.0

"""Pure routing: which LPs may quote an RFQ (instrument, tenant, enabled, throttle)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from services.rfq.risk import TokenBucket


@dataclass(frozen=True)
class LpProfile:
    """An LP as the RFQ service routes to it; empty sets mean "all"."""

    lp_id: str
    enabled: bool = True
    instruments: frozenset[str] = frozenset()
    tenants: frozenset[str] = frozenset()
    max_rfqs_per_s: float = 100.0

    def serves(self, tenant_id: str, instrument_id: str) -> bool:
        return (
            self.enabled
            and (not self.instruments or instrument_id in self.instruments)
            and (not self.tenants or tenant_id in self.tenants)
        )


@dataclass
class Router:
    """Chooses eligible LPs; each LP's throttle is a token bucket on the caller's clock."""

    lps: tuple[LpProfile, ...]
    throttles: dict[str, TokenBucket] = field(default_factory=dict)

    def eligible(
        self, tenant_id: str, instrument_id: str, now: datetime, entitled_lps: Iterable[str] | None
    ) -> tuple[str, ...]:
        allowed = None if entitled_lps is None else set(entitled_lps)
        chosen: list[str] = []
        for lp in self.lps:
            if not lp.serves(tenant_id, instrument_id):
                continue
            if allowed is not None and lp.lp_id not in allowed:
                continue
            if self._bucket(lp).try_take(now):
                chosen.append(lp.lp_id)
        return tuple(chosen)

    def _bucket(self, lp: LpProfile) -> TokenBucket:
        bucket = self.throttles.get(lp.lp_id)
        if bucket is None:
            bucket = TokenBucket(lp.max_rfqs_per_s, lp.max_rfqs_per_s)
            self.throttles[lp.lp_id] = bucket
        return bucket

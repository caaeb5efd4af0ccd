"""`python -m load.rfq.tokens N`: N access tokens (JSON list) from this platform's identity keys.

Synthetic traders `load-<i>` split over the seeded tenants (acme, globex), each with the roles
and entitlements of the tenant's seeded trader: the RFQ service's per-user rate limit then
applies per synthetic user, as it would for a desk of N traders.
"""

from __future__ import annotations

import asyncio
import json
import sys

from sqlmodel import select

from services.identity.__main__ import prepare
from services.identity.models import UserRow

TENANTS = ("acme", "globex")


async def mint(users: int) -> list[str]:
    svc = await prepare()
    try:
        rows = {}
        for t in TENANTS:  # a tenant session each: identity's tables are under RLS
            async with svc.db.tenant_session(t) as s:
                query = select(UserRow).where(UserRow.tenant_id == t)
                rows[t] = (await s.exec(query.where(UserRow.username == f"trader@{t}"))).one()
        tokens = []
        for i in range(users):
            row = rows[TENANTS[i % len(TENANTS)]]
            claims = svc.factory.access_claims(
                sub=f"{row.user_id}-load{i}", tenant_id=row.tenant_id, roles=list(row.roles),
                entitlements=dict(row.entitlements), client_id="orion-load", scope="orion",
                username=f"load{i}@{row.tenant_id}", ttl_s=3600,
            )  # fmt: skip
            tokens.append(svc.factory.sign(claims))
        return tokens
    finally:
        await svc.db.dispose()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(mint(int(sys.argv[1])))))

"""Development seed: two tenants, one user per role in each, the workstation client, and one
service account per tenant. Demo passwords are `<role>-demo` (dev profile only; see the ADR)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bff.auth import Principal, Role
from core.settings import Profile, Settings
from services.identity.admin import normalise_entitlements
from services.identity.models import ClientRow, TenantRow, UserRow
from services.identity.store import IdentityRepo

TENANTS = {"acme": "Acme Capital", "globex": "Globex Markets"}
WORKSTATION_CLIENT = "orion-workstation"
# The workstation's OIDC client returns to the page it was loaded from (bff/web/src/config.ts).
WORKSTATION_REDIRECTS = [
    "http://127.0.0.1:8000/auth/callback",
    "http://localhost:8000/auth/callback",
    "http://127.0.0.1:8000/",
    "http://localhost:8000/",
]
_TRADING = {
    "asset_classes": ["CREDIT", "FX", "RATES"],
    "instruments": ["*"],
    "venues": ["*"],
    "max_notional": "10000000",
    "rate_limits": {"rfq_per_minute": 60, "orders_per_minute": 120},
}
ENTITLEMENTS: dict[Role, dict[str, Any]] = {
    Role.TRADER: _TRADING,
    Role.SALES: {**_TRADING, "max_notional": "25000000"},
    Role.RISK: {"asset_classes": ["*"], "instruments": ["*"], "venues": ["*"]},
    Role.ANALYST: {"asset_classes": ["*"], "instruments": ["*"], "venues": ["*"]},
    Role.ADMIN: {},
    Role.PLATFORM: {},
}


def role_name(role: Role) -> str:
    return role.value.removeprefix("ROLE_").lower()


def demo_username(role: Role, tenant: str) -> str:
    return f"{role_name(role)}@{tenant}"


def demo_password(role: Role) -> str:
    return f"{role_name(role)}-demo"


def demo_user_id(role: Role, tenant: str) -> str:
    return f"u-{tenant}-{role_name(role)}"


@dataclass
class SeedResult:
    created_users: int = 0
    service_secrets: dict[str, str] = field(default_factory=dict)


async def seed(repo: IdentityRepo, platform: Settings, secrets_file: Path | None) -> SeedResult:
    """Idempotent: existing rows are kept. Refuses the prod profile (demo passwords)."""
    if platform.profile is Profile.PROD:
        raise RuntimeError("refusing to seed demo identities in the prod profile")
    result = SeedResult()
    async with repo.db.sessions() as s:
        for tenant_id, name in TENANTS.items():
            if await s.get(TenantRow, tenant_id) is None:
                s.add(TenantRow(tenant_id=tenant_id, name=name))
        await s.commit()
    for tenant_id in TENANTS:
        for role in Role:
            result.created_users += await _seed_user(repo, tenant_id, role)
    await _seed_clients(repo, result)
    if secrets_file is not None and result.service_secrets:
        _write_secrets(secrets_file, result.service_secrets)
    return result


async def _seed_user(repo: IdentityRepo, tenant_id: str, role: Role) -> int:
    async with repo.db.tenant_session(tenant_id) as s:
        if await s.get(UserRow, demo_user_id(role, tenant_id)) is not None:
            return 0
        s.add(
            UserRow(
                user_id=demo_user_id(role, tenant_id),
                tenant_id=tenant_id,
                username=demo_username(role, tenant_id),
                password_hash=await repo.passwords.hash(demo_password(role)),
                roles=[role.value],
                entitlements=normalise_entitlements(ENTITLEMENTS[role]),
            )
        )
        await s.commit()
    return 1


async def _seed_clients(repo: IdentityRepo, result: SeedResult) -> None:
    async with repo.db.sessions() as s:
        if await s.get(ClientRow, WORKSTATION_CLIENT) is None:
            s.add(
                ClientRow(
                    client_id=WORKSTATION_CLIENT,
                    name="Orion workstation",
                    redirect_uris=WORKSTATION_REDIRECTS,
                    grant_types=["authorization_code", "refresh_token"],
                    scope="openid profile offline_access orion",
                )
            )
        for tenant_id in TENANTS:
            client_id = f"svc-{tenant_id}-tools"
            if await s.get(ClientRow, client_id) is not None:
                continue
            secret = secrets.token_urlsafe(32)
            result.service_secrets[client_id] = secret
            s.add(
                ClientRow(
                    client_id=client_id,
                    name=f"{TENANTS[tenant_id]} tools (service account)",
                    secret_hash=await repo.passwords.hash(secret),
                    grant_types=["client_credentials"],
                    scope="orion",
                    tenant_id=tenant_id,
                    roles=[Role.ANALYST.value],
                    entitlements=normalise_entitlements(ENTITLEMENTS[Role.ANALYST]),
                )
            )
        await s.commit()


def _write_secrets(path: Path, new: dict[str, str]) -> None:
    existing: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({**existing, **new}, handle, indent=2)


def system_actor(tenant_id: str) -> Principal:
    """The principal seeding and migrations act as (audited as `system`)."""
    return Principal(
        sub="system", tenant_id=tenant_id, roles=frozenset({Role.ADMIN, Role.PLATFORM})
    )

"""Lockout, service accounts, revocation, userinfo, key rotation and the audit trail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from bff.auth import Role
from bff.auth.errors import TokenRevoked, UnknownSigningKey
from eventbus.outbox import OutboxEvent
from orion.common.v1.envelope_pb2 import Envelope
from orion.identity.v1 import events_pb2 as pb

from .idp import ISSUER, Idp, pkce_pair, running_idp


async def audit_trail(idp: Idp) -> list[tuple[str, str]]:
    async with idp.svc.db.sessions() as s:
        rows = (await s.exec(select(OutboxEvent).order_by(OutboxEvent.id))).all()  # type: ignore[arg-type]
    trail = []
    for row in rows:
        env = Envelope.FromString(row.value)
        trail.append((env.event_type, env.tenant_id))
    return trail


async def test_lockout_after_repeated_failures_even_with_right_password(tmp_path: Path) -> None:
    async with running_idp(tmp_path, lockout_threshold=3) as idp:
        _, challenge = pkce_pair()
        for _ in range(3):
            assert (await idp.login("trader@acme", "wrong", challenge)).status_code == 401
        locked = await idp.login("trader@acme", "trader-demo", challenge)
        assert locked.status_code == 401
        reasons = []
        async with idp.svc.db.sessions() as s:
            for row in (await s.exec(select(OutboxEvent))).all():
                env = Envelope.FromString(row.value)
                if env.event_type == "LoginFailed":
                    reasons.append(pb.LoginFailed.FromString(env.payload).reason)
        assert reasons == ["bad_password", "bad_password", "bad_password", "locked"]


async def test_login_success_failure_and_logout_are_audited(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        _, challenge = pkce_pair()
        await idp.login("nobody@acme", "x", challenge)
        await idp.code_flow("analyst@globex", "analyst-demo")
        await idp.client.post(f"{ISSUER}/logout")
        trail = await audit_trail(idp)
        assert ("LoginFailed", "_unknown") in trail
        assert ("UserLoggedIn", "globex") in trail
        assert trail[-1] == ("UserLoggedOut", "globex")


async def test_service_account_gets_tenant_scoped_token(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        secret = idp.seeded.service_secrets["svc-acme-tools"]
        response = await idp.client.post(
            f"{ISSUER}/token",
            data={"grant_type": "client_credentials", "scope": "orion"},
            auth=("svc-acme-tools", secret),
        )
        assert response.status_code == 200, response.text
        assert "refresh_token" not in response.json()
        principal = await idp.bff_validator().validate(response.json()["access_token"])
        assert (principal.tenant_id, principal.roles) == ("acme", frozenset({Role.ANALYST}))
        assert principal.sub == "service:svc-acme-tools"
        stored = json.loads((tmp_path / "service-accounts.json").read_text())
        assert set(stored) == {"svc-acme-tools", "svc-globex-tools"}
        assert (tmp_path / "service-accounts.json").stat().st_mode & 0o077 == 0


async def test_service_account_with_wrong_secret_is_refused(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        response = await idp.client.post(
            f"{ISSUER}/token",
            data={"grant_type": "client_credentials"},
            auth=("svc-acme-tools", "guess"),
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"


async def test_public_client_cannot_use_client_credentials(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        response = await idp.client.post(
            f"{ISSUER}/token",
            data={"grant_type": "client_credentials", "client_id": "orion-workstation"},
        )
        assert response.status_code in (400, 401)


async def test_revoked_access_token_is_refused_by_the_bff(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        tokens = await idp.code_flow("trader@acme", "trader-demo")
        revoke = await idp.client.post(
            f"{ISSUER}/revoke",
            data={"token": tokens["access_token"], "client_id": "orion-workstation"},
        )
        assert revoke.status_code == 200
        with pytest.raises(TokenRevoked):
            await idp.bff_validator().validate(tokens["access_token"])


async def test_revoked_refresh_token_cannot_refresh(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        tokens = await idp.code_flow("trader@acme", "trader-demo")
        await idp.client.post(
            f"{ISSUER}/revoke",
            data={
                "token": tokens["refresh_token"],
                "token_type_hint": "refresh_token",
                "client_id": "orion-workstation",
            },
        )
        assert (await idp.refresh(tokens["refresh_token"]))["_status"] == 400


async def test_userinfo_answers_for_a_valid_token_only(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        tokens = await idp.code_flow("admin@globex", "admin-demo")
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        info = await idp.client.get(f"{ISSUER}/userinfo", headers=auth)
        assert info.json()["tenant_id"] == "globex"
        assert info.json()["roles"] == ["ROLE_ADMIN"]
        bad = await idp.client.get(f"{ISSUER}/userinfo", headers={"Authorization": "Bearer x"})
        assert bad.status_code == 401


async def test_discovery_advertises_s256_only(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        doc = (await idp.client.get(f"{ISSUER}/.well-known/openid-configuration")).json()
        assert doc["issuer"] == ISSUER
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["jwks_uri"] == f"{ISSUER}/jwks"


async def test_key_rotation_keeps_old_tokens_valid_and_drops_the_oldest(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        validator = idp.bff_validator()
        before = (await idp.code_flow("trader@acme", "trader-demo"))["access_token"]
        idp.svc.keys.rotate()
        jwks = (await idp.client.get(f"{ISSUER}/jwks")).json()
        assert len(jwks["keys"]) == 2
        after = (await idp.code_flow("trader@acme", "trader-demo"))["access_token"]
        await validator.validate(before)
        await validator.validate(after)  # new kid: the BFF refetches the JWKS
        idp.svc.keys.rotate()  # the first key is retired (a fresh JWKS no longer has it)
        with pytest.raises(UnknownSigningKey):
            await idp.bff_validator().validate(before)

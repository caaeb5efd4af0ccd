"""Browser-style authorization code + PKCE flow against the in-process identity provider."""

from __future__ import annotations

from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from bff.auth import Role
from bff.auth.errors import TokenRevoked
from services.identity.seed import WORKSTATION_CLIENT

from .idp import CALLBACK, ISSUER, pkce_pair, running_idp


async def test_code_flow_with_pkce_issues_tokens_the_bff_accepts(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        tokens = await idp.code_flow("trader@acme", "trader-demo")
        assert tokens["_status"] == 200, tokens
        principal = await idp.bff_validator().validate(tokens["access_token"])
        assert (principal.tenant_id, principal.sub) == ("acme", "u-acme-trader")
        assert principal.roles == frozenset({Role.TRADER})
        assert str(principal.entitlements.max_notional) == "10000000"
        assert principal.session_id
        assert tokens["expires_in"] == 300
        keys = KeySet.import_key_set(idp.svc.keys.jwks())  # type: ignore[arg-type]
        id_token = jwt.decode(tokens["id_token"], keys)
        assert id_token.claims["aud"] == [WORKSTATION_CLIENT]
        assert id_token.claims["nonce"] == "n-1"
        assert id_token.claims["iss"] == ISSUER


async def test_state_is_returned_to_the_client(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        _, challenge = pkce_pair()
        landed = await idp.login("sales@globex", "sales-demo", challenge)
        assert landed.json()["state"] == "st-1"


async def test_wrong_code_verifier_is_refused(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        _, challenge = pkce_pair()
        landed = await idp.login("trader@acme", "trader-demo", challenge)
        other_verifier, _ = pkce_pair()
        body = await idp.redeem(landed.json()["code"], other_verifier)
        assert (body["_status"], body["error"]) == (400, "invalid_grant")


async def test_code_works_only_once(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        verifier, challenge = pkce_pair()
        code = (await idp.login("trader@acme", "trader-demo", challenge)).json()["code"]
        assert (await idp.redeem(code, verifier))["_status"] == 200
        again = await idp.redeem(code, verifier)
        assert (again["_status"], again["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    "extra",
    [
        {"code_challenge_method": "plain"},
        {"code_challenge": "", "code_challenge_method": ""},
        {"redirect_uri": "http://evil.test/cb"},
        {"client_id": "no-such-client"},
        {"response_type": "token"},
        {"scope": "openid root:everything"},
    ],
)
async def test_bad_authorization_requests_never_reach_login(
    tmp_path: Path, extra: dict[str, str]
) -> None:
    async with running_idp(tmp_path) as idp:
        _, challenge = pkce_pair()
        response = await idp.client.get(await idp.authorize_url(challenge, **extra))
        assert 'name="password"' not in response.text
        if response.status_code == 302:  # error sent to the registered redirect only
            assert response.headers["location"].startswith(CALLBACK)
            assert "error=" in response.headers["location"]
        else:
            assert response.status_code == 400


async def test_wrong_password_shows_login_again(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        _, challenge = pkce_pair()
        response = await idp.login("trader@acme", "nope", challenge)
        assert response.status_code == 401
        assert "Invalid username or password" in response.text


async def test_refresh_rotates_and_reuse_revokes_the_family(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        first = await idp.code_flow("trader@acme", "trader-demo")
        second = await idp.refresh(first["refresh_token"])
        assert second["_status"] == 200
        assert second["refresh_token"] != first["refresh_token"]
        replay = await idp.refresh(first["refresh_token"])  # stolen old token comes back
        assert (replay["_status"], replay["error"]) == (400, "invalid_grant")
        after = await idp.refresh(second["refresh_token"])  # the family is gone too
        assert after["_status"] == 400


async def test_logout_ends_session_and_its_access_tokens(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        tokens = await idp.code_flow("risk@acme", "risk-demo")
        validator = idp.bff_validator()
        await validator.validate(tokens["access_token"])
        assert (await idp.client.post(f"{ISSUER}/logout")).status_code == 200
        with pytest.raises(TokenRevoked):
            await validator.validate(tokens["access_token"])
        assert (await idp.refresh(tokens["refresh_token"]))["_status"] == 400

"""What the workstation's browser client relies on: mounting under /identity, CORS, logout."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from bff.auth import InMemoryRevocationList
from core.db import Database
from core.settings import Settings
from services.identity.app import create_app
from services.identity.bootstrap import build
from services.identity.config import IdentitySettings
from services.identity.keys import KeyStore
from services.identity.seed import seed

from .idp import ISSUER, Idp, pkce_pair, running_idp


async def test_idp_works_mounted_under_a_prefix_in_the_bff(tmp_path: Path) -> None:
    issuer = "http://127.0.0.1:8000/identity"
    settings = IdentitySettings(issuer=issuer, argon2_time_cost=1, argon2_memory_kib=1024)
    db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}")
    await db.create_all()
    platform = Settings(home=tmp_path)
    revocations = InMemoryRevocationList()
    svc = build(
        settings, platform=platform, db=db, keys=KeyStore.ephemeral(), revocations=revocations
    )
    await seed(svc.repo, platform, None)
    bff = Starlette(routes=[Mount("/identity", app=create_app(svc))])
    transport = httpx.ASGITransport(app=bff)
    try:
        async with httpx.AsyncClient(transport=transport) as client:
            idp = Idp(svc, svc.admin, None, client, revocations)  # type: ignore[arg-type]
            doc = (await client.get(f"{issuer}/.well-known/openid-configuration")).json()
            assert doc["token_endpoint"] == f"{issuer}/token"
            _, challenge = pkce_pair()
            url = (await idp.authorize_url(challenge)).replace(ISSUER, issuer)
            url = url.replace("%2Fauth%2Fcallback", "%2F")  # the page's own URL, as the web app
            page = await client.get(url)
            assert 'action="login"' in page.text
            form = {"username": "trader@acme", "password": "trader-demo"}
            form["return_to"] = page.text.split('name="return_to" value="')[1].split('"')[0]
            form["return_to"] = form["return_to"].replace("&amp;", "&")
            form["csrf"] = page.text.split('name="csrf" value="')[1].split('"')[0]
            posted = await client.post(f"{issuer}/login", data=form)
            assert posted.headers["location"].startswith(f"{issuer}/authorize?")
            landed = await client.get(posted.headers["location"])
            assert landed.headers["location"].startswith("http://127.0.0.1:8000/?code=")
    finally:
        await db.dispose()


async def test_cors_allows_the_workstation_origin_only(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        url = f"{ISSUER}/.well-known/openid-configuration"
        ok = await idp.client.get(url, headers={"Origin": "http://127.0.0.1:8000"})
        evil = await idp.client.get(url, headers={"Origin": "http://evil.test"})
        assert ok.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"
        assert "access-control-allow-origin" not in evil.headers


async def test_logout_redirects_only_to_a_registered_uri(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        await idp.code_flow("trader@acme", "trader-demo")
        good = await idp.client.get(
            f"{ISSUER}/logout",
            params={
                "client_id": "orion-workstation",
                "post_logout_redirect_uri": "http://127.0.0.1:8000/",
            },
        )
        assert (good.status_code, good.headers["location"]) == (303, "http://127.0.0.1:8000/")
        evil = await idp.client.get(
            f"{ISSUER}/logout",
            params={"client_id": "orion-workstation", "post_logout_redirect_uri": "http://evil/"},
        )
        assert evil.status_code == 200


async def test_login_post_without_the_csrf_pair_is_refused(tmp_path: Path) -> None:
    async with running_idp(tmp_path) as idp:
        _, challenge = pkce_pair()
        await idp.client.get(await idp.authorize_url(challenge))  # sets the CSRF cookie
        form = {"username": "trader@acme", "password": "trader-demo", "return_to": "/authorize?"}
        forged = await idp.client.post(f"{ISSUER}/login", data={**form, "csrf": "guess"})
        assert forged.status_code == 400
        assert "orion_idp_session" not in forged.cookies
        idp.client.cookies.clear()
        no_cookie = await idp.client.post(f"{ISSUER}/login", data={**form, "csrf": "x"})
        assert no_cookie.status_code == 400

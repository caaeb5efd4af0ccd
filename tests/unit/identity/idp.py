"""In-process identity provider (SQLite in a temp dir, ephemeral keys) and a browser-ish client."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bff.auth import InMemoryRevocationList, OidcKeySource, RevocationList, TokenValidator
from core.db import Database
from core.settings import Settings
from services.identity.admin import IdentityAdmin
from services.identity.app import create_app
from services.identity.bootstrap import IdentityService, build
from services.identity.config import IdentitySettings
from services.identity.keys import KeyStore
from services.identity.seed import WORKSTATION_CLIENT, WORKSTATION_REDIRECTS, SeedResult, seed

ISSUER = "http://127.0.0.1:8001"
CALLBACK = WORKSTATION_REDIRECTS[0]


class HostRouter:
    """Dispatches by Host header, so redirects between the IdP and the workstation both land."""

    def __init__(self, apps: dict[str, ASGIApp]) -> None:
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        host = headers.get(b"host", b"").decode()
        await self.apps[host](scope, receive, send)


def _workstation() -> Starlette:
    async def callback(request: Request) -> JSONResponse:
        return JSONResponse(dict(request.query_params))

    return Starlette(routes=[Route("/auth/callback", callback)])


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Idp:
    svc: IdentityService
    admin: IdentityAdmin
    seeded: SeedResult
    client: httpx.AsyncClient
    revocations: RevocationList

    def bff_validator(self) -> TokenValidator:
        """What the BFF runs: discovery + JWKS over HTTP, the shared revocation list."""
        keys = OidcKeySource(ISSUER, client=self.client, min_refresh_interval_s=0)
        return TokenValidator(
            issuer=ISSUER, audience="orion-bff", keys=keys, revocations=self.revocations
        )

    async def authorize_url(self, challenge: str, **extra: str) -> str:
        params = {
            "response_type": "code",
            "client_id": WORKSTATION_CLIENT,
            "redirect_uri": CALLBACK,
            "scope": "openid profile offline_access orion",
            "state": "st-1",
            "nonce": "n-1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        return f"{ISSUER}/authorize?{urlencode(params)}"

    async def login(self, username: str, password: str, challenge: str) -> httpx.Response:
        """Open the authorize URL, read the login form, post it, follow redirects to the app."""
        url = await self.authorize_url(challenge)
        page = await self.client.get(url, follow_redirects=True)
        if str(page.url).startswith(CALLBACK):
            return page  # a live IdP session (cookie): single sign-on, no form
        assert page.status_code == 200, page.text
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
        assert "return_to" in hidden
        assert "csrf" in hidden
        action = re.search(r'<form method="post" action="([^"]*)"', page.text)
        assert action is not None
        form = {k: unescape(v) for k, v in hidden.items()}
        form |= {"username": username, "password": password}
        target = urljoin(str(page.url), unescape(action[1]))  # as a browser resolves it
        return await self.client.post(target, data=form, follow_redirects=True)

    async def code_flow(self, username: str, password: str) -> dict[str, Any]:
        verifier, challenge = pkce_pair()
        landed = await self.login(username, password, challenge)
        assert str(landed.url).startswith(CALLBACK), landed.text
        code = landed.json()["code"]
        return await self.redeem(code, verifier)

    async def redeem(self, code: str, verifier: str) -> dict[str, Any]:
        response = await self.client.post(
            f"{ISSUER}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "client_id": WORKSTATION_CLIENT,
                "code_verifier": verifier,
            },
        )
        body: dict[str, Any] = response.json()
        body["_status"] = response.status_code
        return body

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        response = await self.client.post(
            f"{ISSUER}/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": WORKSTATION_CLIENT,
            },
        )
        body: dict[str, Any] = response.json()
        body["_status"] = response.status_code
        return body


def unescape(value: str) -> str:
    import html

    return html.unescape(value)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@asynccontextmanager
async def running_idp(
    tmp_path: Path,
    *,
    database_url: str | None = None,
    db: Database | None = None,
    revocations: RevocationList | None = None,
    **overrides: Any,
) -> AsyncIterator[Idp]:
    """SQLite in tmp_path by default; integration tests pass the real Postgres and Redis, or
    `db`: a pool the caller migrated and disposes (e.g. the identity role's, under RLS)."""
    settings = IdentitySettings(
        issuer=ISSUER, argon2_time_cost=1, argon2_memory_kib=1024, **overrides
    )
    platform = Settings(home=tmp_path)
    own = db is None
    if db is None:
        db = Database.from_url(database_url or f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}")
        await db.create_all()
    revocations = revocations or InMemoryRevocationList()
    svc = build(
        settings, platform=platform, db=db, keys=KeyStore.ephemeral(), revocations=revocations
    )
    seeded = await seed(svc.repo, platform, tmp_path / "service-accounts.json")
    router = HostRouter({"127.0.0.1:8001": create_app(svc), "127.0.0.1:8000": _workstation()})
    transport = httpx.ASGITransport(app=router)
    try:
        async with httpx.AsyncClient(transport=transport) as client:
            yield Idp(svc, IdentityAdmin(svc.repo, revocations), seeded, client, revocations)
    finally:
        if own:
            await db.dispose()

"""The IdP mounted inside a host app (the BFF's embedded profile) with the host's lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from bff.auth import InMemoryRevocationList
from core.settings import Settings
from services.identity.config import IdentitySettings
from services.identity.embed import MOUNT_PATH, embedded_identity


async def test_mounted_idp_uses_the_host_url_as_issuer_and_seeds_on_startup(
    tmp_path: Path,
) -> None:
    platform = Settings(home=tmp_path, http_port=8000)
    cheap = IdentitySettings(argon2_time_cost=1, argon2_memory_kib=1024)
    app, startup, shutdown = embedded_identity(platform, cheap, InMemoryRevocationList())

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await startup()
        yield
        await shutdown()

    host = Starlette(routes=[Mount(MOUNT_PATH, app=app)], lifespan=lifespan)
    async with lifespan(host):
        transport = httpx.ASGITransport(app=host)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            doc = (await c.get("/identity/.well-known/openid-configuration")).json()
            assert doc["issuer"] == "http://127.0.0.1:8000/identity"
            assert (await c.get("/identity/jwks")).json()["keys"]
    assert (tmp_path / "identity" / "keys" / "signing-keys.json").exists()
    assert (tmp_path / "data" / "orion.db").exists()

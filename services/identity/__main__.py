"""`python -m services.identity`: the embedded OIDC provider on ORION_IDENTITY_HOST:PORT."""

from __future__ import annotations

import asyncio

import uvicorn

from core.logging import configure_logging
from core.settings import Profile, get_settings
from services.identity.app import create_app
from services.identity.bootstrap import IdentityService, build
from services.identity.seed import seed


async def prepare() -> IdentityService:
    """Tables, keys (generated on first start into ORION_HOME) and, outside prod, the seed."""
    platform = get_settings()
    svc = build(platform=platform)
    await svc.db.create_all()
    if platform.profile is not Profile.PROD:
        secrets_file = svc.settings.key_home(platform).parent / "service-accounts.json"
        await seed(svc.repo, platform, secrets_file)
    return svc


async def _serve() -> None:
    platform = get_settings()
    configure_logging(platform.log_level, platform.log_json)
    svc = await prepare()
    config = uvicorn.Config(
        create_app(svc), host=svc.settings.host, port=svc.settings.port, log_config=None
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await svc.db.dispose()


def main() -> None:
    asyncio.run(_serve())


if __name__ == "__main__":
    main()

"""The IdP inside another process (the BFF in the embedded profile), mounted at /identity.

`app, startup, shutdown = embedded_identity(settings)`; mount `app` with
`Mount("/identity", app=app)` and await `startup()` / `shutdown()` in the host's lifespan (a
mounted Starlette app's own lifespan does not run). The issuer becomes `<host>/identity`, which
is the web client's default; point ORION_AUTH_ISSUER at the same URL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette

from bff.auth.revocation import RevocationList
from core.settings import Profile, Settings
from services.identity.app import create_app
from services.identity.bootstrap import build
from services.identity.config import IdentitySettings
from services.identity.seed import seed

MOUNT_PATH = "/identity"


def mounted_issuer(platform: Settings) -> str:
    return f"http://{platform.http_host}:{platform.http_port}{MOUNT_PATH}"


def embedded_identity(
    platform: Settings,
    settings: IdentitySettings | None = None,
    revocations: RevocationList | None = None,
) -> tuple[Starlette, Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    """The app to mount plus its startup (tables, keys, dev seed) and shutdown hooks.

    Revocations default to bff.auth's process-wide list, the one the host's validator reads.
    """
    settings = settings or IdentitySettings()
    if "issuer" not in settings.model_fields_set:  # neither ORION_IDENTITY_ISSUER nor an argument
        settings = settings.model_copy(update={"issuer": mounted_issuer(platform)})
    svc = build(settings, platform=platform, revocations=revocations)

    async def startup() -> None:
        await svc.db.create_all()
        if platform.profile is not Profile.PROD:
            await seed(
                svc.repo, platform, settings.key_home(platform).parent / "service-accounts.json"
            )

    async def shutdown() -> None:
        await svc.db.dispose()

    return create_app(svc), startup, shutdown

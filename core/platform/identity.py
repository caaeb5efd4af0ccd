"""The built-in OIDC provider, mounted at /identity on the platform's own HTTP port.

Same origin as the workstation, so its default issuer (`<origin>/identity`, bff/web/src/config.ts)
works without CORS, and the issuer URL stays stable for as long as the HTTP port does.
"""

from __future__ import annotations

import os

from grpc import aio
from sqlmodel import select
from starlette.applications import Starlette

from bff import auth
from core.db import Database
from core.health import ComponentHealth
from core.platform import ports
from core.settings import Settings
from services.identity.app import create_app
from services.identity.bootstrap import IdentityService, build
from services.identity.config import IdentitySettings
from services.identity.grpc_api import start_admin_server
from services.identity.models import ClientRow
from services.identity.seed import WORKSTATION_CLIENT, seed

MOUNT = "/identity"


def identity_settings(settings: Settings, origin: str) -> IdentitySettings:
    """Issuer and CORS origins follow the platform's origin unless ORION_IDENTITY_* says else."""
    overrides: dict[str, object] = {}
    if "ORION_IDENTITY_ISSUER" not in os.environ:
        overrides["issuer"] = f"{origin}{MOUNT}"
    if "ORION_IDENTITY_CORS_ORIGINS" not in os.environ:
        overrides["cors_origins"] = (origin,)
    return IdentitySettings(**overrides)  # type: ignore[arg-type]


class IdentityComponent:
    """Keys, seeded demo tenants/users, the HTTP app for the mount, the admin gRPC server."""

    name = "identity"

    def __init__(self, settings: Settings, db: Database, origin: str) -> None:
        self.settings = settings
        self.origin = origin
        self.config = identity_settings(settings, origin)
        self.svc: IdentityService = build(self.config, platform=settings, db=db)
        self.app: Starlette = create_app(self.svc)
        self.admin_addr = ""
        self._admin: aio.Server | None = None

    async def start(self) -> None:
        secrets_file = self.config.key_home(self.settings).parent / "service-accounts.json"
        await seed(self.svc.repo, self.settings, secrets_file)
        await self._allow_this_origin()
        # The BFF (and the streaming hub) trust exactly this provider's keys, read in process.
        auth.configure(validator=self.svc.validator, revocations=self.svc.revocations)
        host, port = ports.split(ports.available(f"127.0.0.1:{self.config.admin_grpc_port}"))
        self._admin, bound = await start_admin_server(
            self.svc.admin, self.svc.validator, host, port
        )
        self.admin_addr = f"{host}:{bound}"

    @property
    def addr(self) -> str:
        """The gRPC API the BFF calls for ui preferences (bound in `start`)."""
        return self.admin_addr

    async def _allow_this_origin(self) -> None:
        """The seed registers :8000 redirect URIs; a dev server on another port adds its own."""
        wanted = [f"{self.origin}/", f"{self.origin}/auth/callback"]
        async with self.svc.db.sessions() as s:
            row = (
                await s.exec(select(ClientRow).where(ClientRow.client_id == WORKSTATION_CLIENT))
            ).first()
            if row is None or all(uri in row.redirect_uris for uri in wanted):
                return
            row.redirect_uris = [
                *row.redirect_uris,
                *(u for u in wanted if u not in row.redirect_uris),
            ]
            s.add(row)
            await s.commit()

    async def stop(self) -> None:
        if self._admin is not None:
            await self._admin.stop(1.0)
        auth.configure()

    async def check(self) -> ComponentHealth:
        keys = len(self.svc.keys.jwks().get("keys", []))
        detail = f"issuer {self.config.issuer}, {keys} signing key(s), admin gRPC {self.admin_addr}"
        return ComponentHealth(self.name, keys > 0, detail)

"""`python -m services.identity`: the embedded OIDC provider on ORION_IDENTITY_HOST:PORT."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

import uvicorn

from core import heap
from core.db import Database
from core.logging import configure_logging
from core.settings import Profile, get_settings
from services.identity.app import create_app
from services.identity.bootstrap import IdentityService, build
from services.identity.db_roles import IDENTITY_ROLE, migrate
from services.identity.grpc_api import start_admin_server
from services.identity.seed import seed

GRACE_S = 5.0


async def prepare() -> IdentityService:
    """Tables, keys (generated on first start into ORION_HOME) and, outside prod, the seed."""
    platform = get_settings()
    # Its own role on Postgres (grants on the identity tables only); the owner migrates.
    db = Database.for_role(platform, IDENTITY_ROLE)
    await migrate(platform, db)
    svc = build(platform=platform, db=db)
    if platform.profile is not Profile.PROD:
        secrets_file = svc.settings.key_home(platform).parent / "service-accounts.json"
        await seed(svc.repo, platform, secrets_file)
    return svc


class _Server(uvicorn.Server):
    """uvicorn re-raises a captured SIGTERM after its own shutdown, which would kill the process
    before the gRPC server drains; here the signal only asks the server to exit."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def request_exit(self) -> None:
        self.should_exit = True


async def _serve() -> None:
    platform = get_settings()
    configure_logging(platform.log_level, platform.log_json)
    heap.tune_collector(platform.gc_thresholds)
    svc = await prepare()
    config = uvicorn.Config(
        create_app(svc), host=svc.settings.host, port=svc.settings.port, log_config=None
    )
    grpc_server, grpc_port = await start_admin_server(
        svc.admin, svc.validator, svc.settings.host, svc.settings.admin_grpc_port
    )
    print(f"identity: OIDC on {svc.settings.issuer}, admin gRPC on :{grpc_port}", flush=True)
    heap.freeze_startup_heap()
    server = _Server(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.request_exit)
    try:
        await server.serve()
    finally:
        await grpc_server.stop(GRACE_S)
        await svc.db.dispose()


def main() -> None:
    asyncio.run(_serve())


if __name__ == "__main__":
    main()

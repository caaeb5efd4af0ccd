"""The platform's one HTTP app: the BFF, the identity provider at /identity, the UI at `/`."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from core.settings import REPO_ROOT

WEB_DIST = REPO_ROOT / "bff" / "web" / "dist"
# Vite content-hashes everything under assets/: a new build gets new names, so cache forever.
IMMUTABLE = "public, max-age=31536000, immutable"
# index.html names the current hashes: always revalidate it.
NO_CACHE = "no-cache"


class WorkstationFiles(StaticFiles):
    """The built workstation: hashed assets cached for good, index.html for every page route."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            response = await self._fallback(path, scope)
        if response.status_code < 400:
            immutable = path.startswith("assets/") and Path(path).name != "index.html"
            response.headers["Cache-Control"] = IMMUTABLE if immutable else NO_CACHE
        return response

    async def _fallback(self, path: str, scope: Scope) -> Response:
        """A client-side route (no file extension) gets the app. The build links its assets
        relatively (`./assets/...`), so from a nested route they arrive as `<route>/assets/...`."""
        if "." not in Path(path).name:
            return FileResponse(Path(str(self.directory)) / "index.html")
        if "assets/" in path and not path.startswith("assets/"):
            return await super().get_response(path[path.index("assets/") :], scope)
        raise HTTPException(404)


def ui_config_route(config: dict[str, str]) -> Route:
    """`/ui-config.json`, read by the page at start-up (bff/web/src/config.ts): the issuer and
    client this platform really runs, whatever the bundle was built with."""

    async def ui_config(_: Request) -> JSONResponse:
        return JSONResponse(config, headers={"Cache-Control": NO_CACHE})

    return Route("/ui-config.json", ui_config)


def mount_workstation(app: Starlette, ui_config: dict[str, str], dist: Path = WEB_DIST) -> bool:
    """Add `/ui-config.json` and the built UI at `/` to an app's routes (last: API paths win).

    Returns whether the workstation is served (no build yet: the API still works). Both
    profiles call this, so `orion dev` and `orion up` serve the UI the same way.
    """
    served = (dist / "index.html").is_file()
    if served:
        app.router.routes.append(ui_config_route(ui_config))
        app.router.routes.append(Mount("/", app=WorkstationFiles(directory=dist), name="web"))
    return served


def mount_platform(
    bff: Starlette, identity: Starlette, ui_config: dict[str, str], dist: Path = WEB_DIST
) -> bool:
    """Embedded profile: the identity provider at /identity, then the workstation."""
    bff.router.routes.append(Mount("/identity", app=identity))
    return mount_workstation(bff, ui_config, dist)

"""The identity provider's HTTP surface (Starlette): discovery, JWKS, authorize, token, login."""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anyio.to_thread
from authlib.oauth2.rfc6749.errors import OAuth2Error
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bff.auth import AuthenticationError
from orion.identity.v1 import events_pb2 as pb
from services.identity.bootstrap import IdentityService
from services.identity.oauth import HttpRequest
from services.identity.oauth import Response as OAuthResponse
from services.identity.views import UserGrant

COOKIE = "orion_idp_session"
CSRF_COOKIE = "orion_idp_csrf"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


MAX_FORM_BYTES = 64 * 1024


async def _form(request: Request) -> list[tuple[str, str]]:
    """URL-encoded form fields (all OAuth and the login page send); nothing else is accepted."""
    if request.method != "POST":
        return []
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if content_type != "application/x-www-form-urlencoded" or len(body) > MAX_FORM_BYTES:
        return []
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


async def _oauth_request(request: Request) -> HttpRequest:
    return HttpRequest(
        request.method,
        str(request.url),
        request.headers,
        list(request.query_params.multi_items()),
        await _form(request),
    )


def _to_response(result: OAuthResponse) -> Response:
    status, body, headers = result
    header_map = dict(headers)
    if status in (301, 302, 303) and "Location" in header_map:
        return RedirectResponse(header_map["Location"], status_code=302, headers=NO_STORE)
    payload = body if isinstance(body, dict) else {}
    header_map.pop("Content-Type", None)
    return JSONResponse(payload, status_code=status, headers={**header_map, **NO_STORE})


def _origin(request: Request) -> pb.RequestOrigin:
    host = request.client.host if request.client else ""
    return pb.RequestOrigin(ip=host, user_agent=request.headers.get("user-agent", "")[:300])


def create_app(svc: IdentityService) -> Starlette:
    issuer = svc.settings.issuer.rstrip("/")

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def discovery(_: Request) -> JSONResponse:
        return JSONResponse(svc.discovery_document())

    async def jwks(_: Request) -> JSONResponse:
        return JSONResponse(svc.keys.jwks(), headers={"Cache-Control": "max-age=300"})

    async def authorize(request: Request) -> Response:
        oauth_request = await _oauth_request(request)
        try:
            grant = await anyio.to_thread.run_sync(svc.server.get_consent_grant, oauth_request)
        except OAuth2Error as error:
            if error.redirect_uri:  # a validated redirect: the client learns what went wrong
                return _to_response(svc.server.handle_error_response(oauth_request, error))
            return JSONResponse({"error": error.error, "error_description": error.description}, 400)
        user = await _session_user(request)
        if user is None:
            return _login_form(f"/authorize?{request.url.query}")
        result = await anyio.to_thread.run_sync(
            lambda: svc.server.create_authorization_response(oauth_request, user, grant)
        )
        return _to_response(result)

    async def _session_user(request: Request) -> UserGrant | None:
        session = await svc.repo.live_session(request.cookies.get(COOKIE))
        if session is None:
            return None
        return await svc.repo.user_grant(session.user_id, session.session_id, session.tenant_id)

    def _login_form(return_to: str, error: str = "", status: int = 200) -> Response:
        # Double-submit token: a cross-site page cannot read the cookie to fill in the field,
        # so it cannot log a victim's browser into the attacker's account (login CSRF).
        csrf = secrets.token_urlsafe(24)
        page = svc.login_page(return_to, csrf, error)
        response = HTMLResponse(page, status_code=status, headers=NO_STORE)
        response.set_cookie(
            CSRF_COOKIE, csrf, httponly=True, samesite="lax", secure=svc.settings.secure_cookies
        )
        return response

    async def login(request: Request) -> Response:
        form = dict(await _form(request))
        username, password = form.get("username", ""), form.get("password", "")
        return_to = form.get("return_to", "")
        if not return_to.startswith("/authorize?"):
            return_to = "/authorize?"  # only back into the flow: no open redirect
        sent, expected = form.get("csrf", ""), request.cookies.get(CSRF_COOKIE, "")
        if not sent or not hmac.compare_digest(sent, expected):
            return _login_form(return_to, "Your sign-in form expired; please try again.", 400)
        client_id = dict(parse_qsl(urlsplit(return_to).query)).get("client_id", "")
        outcome = await svc.login.attempt(username, password, _origin(request), client_id)
        if not outcome.ok:
            return _login_form(return_to, "Invalid username or password.", 401)
        response = RedirectResponse(f"{issuer}{return_to}", status_code=303, headers=NO_STORE)
        response.set_cookie(
            COOKIE,
            outcome.session_id or "",
            max_age=svc.settings.session_ttl_s,
            httponly=True,
            samesite="lax",
            secure=svc.settings.secure_cookies,
        )
        return response

    async def token(request: Request) -> Response:
        oauth_request = await _oauth_request(request)
        result = await anyio.to_thread.run_sync(svc.server.create_token_response, oauth_request)
        return _to_response(result)

    async def revoke(request: Request) -> Response:
        oauth_request = await _oauth_request(request)
        result = await anyio.to_thread.run_sync(
            svc.server.create_endpoint_response, "revocation", oauth_request
        )
        return _to_response(result)

    async def userinfo(request: Request) -> Response:
        try:
            principal = await svc.validator.validate(_bearer(request))
        except AuthenticationError as exc:
            challenge = f'Bearer error="invalid_token", error_description="{exc.code}"'
            headers = {"WWW-Authenticate": challenge}
            return JSONResponse({"error": "invalid_token"}, status_code=401, headers=headers)
        body: dict[str, Any] = {
            "sub": principal.sub,
            "tenant_id": principal.tenant_id,
            "preferred_username": principal.username,
            "roles": sorted(principal.roles),
        }
        return JSONResponse(body, headers=NO_STORE)

    async def logout(request: Request) -> Response:
        sid = request.cookies.get(COOKIE)
        if sid:
            await svc.login.logout(sid)
        params = dict(request.query_params) | dict(await _form(request))
        target = await _post_logout_target(params)
        response: Response = (
            RedirectResponse(target, status_code=303)
            if target
            else HTMLResponse("<!doctype html><title>Signed out</title><p>Signed out.</p>")
        )
        response.delete_cookie(COOKIE)
        return response

    async def _post_logout_target(params: dict[str, str]) -> str | None:
        """Only a registered redirect URI of the named client (or its origin): no open redirect."""
        uri, client_id = params.get("post_logout_redirect_uri"), params.get("client_id")
        client = await svc.repo.client_view(client_id) if client_id else None
        if not uri or client is None:
            return None
        origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}/" for u in client.redirect_uris}
        return uri if uri in client.redirect_uris or uri in origins else None

    cors = Middleware(
        CORSMiddleware,
        allow_origins=list(svc.settings.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type"],
    )
    return Starlette(
        middleware=[cors],
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/jwks", jwks),
            Route("/authorize", authorize, methods=["GET"]),
            Route("/login", login, methods=["POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/revoke", revoke, methods=["POST"]),
            Route("/userinfo", userinfo, methods=["GET", "POST"]),
            Route("/logout", logout, methods=["GET", "POST"]),
            Route("/healthz", healthz),
        ],
    )


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""

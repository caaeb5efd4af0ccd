"""IdentityAdminService over gRPC: the admin subgraph's door to tenants, users and entitlements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from grpc import aio

from bff.auth import AuthenticationError, Principal, TokenValidator, bearer_token
from bff.auth.errors import AuthorizationError, CrossTenantAccess
from orion.identity.v1 import identity_admin_pb2 as pb
from orion.identity.v1 import identity_admin_pb2_grpc as pb_grpc
from services.identity.admin import (
    AdminError,
    AlreadyExists,
    IdentityAdmin,
    InvalidInput,
    UserSnapshot,
    VersionConflict,
    entitlements_pb,
)
from services.identity.preferences import UiPreferencesStore
from services.identity.preferences_grpc import add_preferences_service

T = TypeVar("T")

_STATUS: list[tuple[type[Exception], grpc.StatusCode]] = [
    (AuthenticationError, grpc.StatusCode.UNAUTHENTICATED),
    (CrossTenantAccess, grpc.StatusCode.NOT_FOUND),
    (AuthorizationError, grpc.StatusCode.PERMISSION_DENIED),
    (VersionConflict, grpc.StatusCode.ABORTED),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
]


def user_pb(user: UserSnapshot) -> pb.User:
    return pb.User(
        user_id=user.user_id,
        tenant_id=user.tenant_id,
        username=user.username,
        roles=list(user.roles),
        entitlements=entitlements_pb(user.entitlements),
        enabled=user.enabled,
        version=user.version,
    )


def entitlements_dict(ents: Any) -> dict[str, Any]:
    return {
        "asset_classes": list(ents.asset_classes),
        "instruments": list(ents.instruments),
        "product_groups": list(ents.product_groups),
        "venues": list(ents.venues),
        "max_notional": ents.max_notional or "0",
        "rate_limits": dict(ents.rate_limits),
    }


class IdentityAdminServicer(pb_grpc.IdentityAdminServiceServicer):
    def __init__(self, admin: IdentityAdmin, validator: TokenValidator) -> None:
        self._admin = admin
        self._validator = validator

    async def _call(
        self, context: aio.ServicerContext[Any, Any], action: Callable[[Principal], Awaitable[T]]
    ) -> T:
        """Authenticate from metadata, run, and map typed errors to gRPC status codes."""
        try:
            metadata = dict(context.invocation_metadata() or ())
            raw = metadata.get("authorization")
            header = raw.decode() if isinstance(raw, bytes) else raw
            principal = await self._validator.validate(bearer_token(header))
            return await action(principal)
        except (AuthenticationError, AuthorizationError, AdminError) as exc:
            code = next((c for t, c in _STATUS if isinstance(exc, t)), grpc.StatusCode.INTERNAL)
            await context.abort(code, str(exc))
            raise  # abort raises; this keeps mypy aware the function never falls through

    async def CreateTenant(
        self, request: pb.CreateTenantRequest, context: aio.ServicerContext[Any, Any]
    ) -> pb.CreateTenantResponse:
        async def run(p: Principal) -> pb.CreateTenantResponse:
            tenant = await self._admin.create_tenant(p, request.tenant_id, request.name)
            return pb.CreateTenantResponse(tenant_id=tenant)

        return await self._call(context, run)

    async def ListUsers(
        self, request: pb.ListUsersRequest, context: aio.ServicerContext[Any, Any]
    ) -> pb.ListUsersResponse:
        async def run(p: Principal) -> pb.ListUsersResponse:
            return pb.ListUsersResponse(users=[user_pb(u) for u in await self._admin.list_users(p)])

        return await self._call(context, run)

    async def CreateUser(
        self, request: pb.CreateUserRequest, context: aio.ServicerContext[Any, Any]
    ) -> pb.CreateUserResponse:
        async def run(p: Principal) -> pb.CreateUserResponse:
            ents = entitlements_dict(request.entitlements)
            user = await self._admin.create_user(
                p, request.username, request.password, list(request.roles), ents
            )
            return pb.CreateUserResponse(user=user_pb(user))

        return await self._call(context, run)

    async def SetUserRoles(
        self, request: pb.SetUserRolesRequest, context: aio.ServicerContext[Any, Any]
    ) -> pb.SetUserRolesResponse:
        async def run(p: Principal) -> pb.SetUserRolesResponse:
            user = await self._admin.set_roles(
                p, request.user_id, list(request.roles), request.expected_version
            )
            return pb.SetUserRolesResponse(user=user_pb(user))

        return await self._call(context, run)

    async def SetUserEntitlements(
        self, request: pb.SetUserEntitlementsRequest, context: aio.ServicerContext[Any, Any]
    ) -> pb.SetUserEntitlementsResponse:
        async def run(p: Principal) -> pb.SetUserEntitlementsResponse:
            ents = entitlements_dict(request.entitlements)
            user = await self._admin.set_entitlements(
                p, request.user_id, ents, request.expected_version
            )
            return pb.SetUserEntitlementsResponse(user=user_pb(user))

        return await self._call(context, run)

    async def SetUserEnabled(
        self, request: pb.SetUserEnabledRequest, context: aio.ServicerContext[Any, Any]
    ) -> pb.SetUserEnabledResponse:
        async def run(p: Principal) -> pb.SetUserEnabledResponse:
            user = await self._admin.set_enabled(
                p, request.user_id, request.enabled, request.expected_version
            )
            return pb.SetUserEnabledResponse(user=user_pb(user))

        return await self._call(context, run)


async def start_admin_server(
    admin: IdentityAdmin, validator: TokenValidator, host: str = "127.0.0.1", port: int = 0
) -> tuple[aio.Server, int]:
    """Serve IdentityAdminService and UiPreferencesService on host:port (0 picks a free port)."""
    server = aio.server()
    pb_grpc.add_IdentityAdminServiceServicer_to_server(
        IdentityAdminServicer(admin, validator), server
    )
    add_preferences_service(server, UiPreferencesStore(admin.repo.db))
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    return server, bound

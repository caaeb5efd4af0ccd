"""UiPreferencesService over gRPC: the BFF's door to a user's saved workstation preferences."""

from __future__ import annotations

from typing import Any

import grpc
from grpc import aio

from core.logging import correlation_id_var, tenant_id_var
from orion.identity.v1 import ui_preferences_pb2 as pb
from orion.identity.v1 import ui_preferences_pb2_grpc as pb_grpc
from services.identity.preferences import (
    InvalidPreferences,
    PreferencesConflict,
    UiPreferences,
    UiPreferencesStore,
    canonical,
)

Ctx = aio.ServicerContext[Any, Any]


def _meta(context: Ctx, key: str) -> str:
    for item_key, value in context.invocation_metadata() or ():
        if item_key == key:
            return value.decode() if isinstance(value, bytes) else str(value)
    return ""


def preferences_pb(prefs: UiPreferences) -> pb.UiPreferences:
    return pb.UiPreferences(
        document_json=canonical(prefs.document),
        version=prefs.version,
        updated_at=prefs.updated_at.isoformat() if prefs.updated_at else "",
    )


class UiPreferencesServicer(pb_grpc.UiPreferencesServiceServicer):
    """Trusts `x-tenant-id` / `x-user-id` set by the BFF after it authenticated the caller (the
    same contract as the RFQ service); a call without them is refused, never defaulted."""

    def __init__(self, store: UiPreferencesStore) -> None:
        self._store = store

    async def _caller(self, context: Ctx) -> tuple[str, str]:
        tenant, user = _meta(context, "x-tenant-id"), _meta(context, "x-user-id")
        if not tenant or not user:
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED, "x-tenant-id and x-user-id required"
            )
        correlation_id_var.set(_meta(context, "x-correlation-id") or None)
        tenant_id_var.set(tenant)
        return tenant, user

    async def GetUiPreferences(
        self, request: pb.GetUiPreferencesRequest, context: Ctx
    ) -> pb.GetUiPreferencesResponse:
        tenant, user = await self._caller(context)
        prefs = await self._store.get(tenant, user)
        return pb.GetUiPreferencesResponse(preferences=preferences_pb(prefs))

    async def SaveUiPreferences(
        self, request: pb.SaveUiPreferencesRequest, context: Ctx
    ) -> pb.SaveUiPreferencesResponse:
        tenant, user = await self._caller(context)
        try:
            prefs = await self._store.save(
                tenant, user, request.document_json, request.expected_version
            )
        except PreferencesConflict as exc:
            # "<CODE>: <message> (current=<n>)": the BFF reads the code and the current version.
            await context.abort(
                grpc.StatusCode.ABORTED, f"{exc.code}: {exc} (current={exc.current})"
            )
            raise
        except InvalidPreferences as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{exc.code}: {exc}")
            raise
        return pb.SaveUiPreferencesResponse(preferences=preferences_pb(prefs))


def add_preferences_service(server: aio.Server, store: UiPreferencesStore) -> None:
    pb_grpc.add_UiPreferencesServiceServicer_to_server(UiPreferencesServicer(store), server)

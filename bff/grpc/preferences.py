"""Typed client of the identity service's UiPreferencesService, behind the Downstream policy.

The caller's user travels as `x-user-id` next to the tenant and correlation id the Downstream
adds. The service's expected refusals ("VERSION_CONFLICT: ... (current=N)", "INVALID_PREFERENCES:
...") become `PreferencesRefused` here, in one place; the resolvers turn them into union members.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from bff.auth.principal import Principal
from bff.grpc.calls import Downstream, with_metadata
from bff.grpc.errors import DownstreamError
from orion.identity.v1 import ui_preferences_pb2 as pb
from orion.identity.v1 import ui_preferences_pb2_grpc as pb_grpc

_CURRENT = re.compile(r"\(current=(\d+)\)\s*$")


@dataclass(frozen=True)
class StoredPreferences:
    document_json: str
    version: int
    updated_at: str


class PreferencesRefused(Exception):
    """An expected refusal: `code` is VERSION_CONFLICT or INVALID_PREFERENCES."""

    def __init__(self, code: str, message: str, current_version: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.current_version = current_version


class PreferencesApi(Protocol):
    """What the resolvers need; the gRPC client below and the in-memory fake both provide it."""

    async def get(self, who: Principal) -> StoredPreferences: ...

    async def save(
        self, who: Principal, document_json: str, expected_version: int
    ) -> StoredPreferences: ...


def refusal_of(error: DownstreamError) -> PreferencesRefused | None:
    code, sep, message = error.detail.partition(":")
    if not sep or code.strip() not in {"VERSION_CONFLICT", "INVALID_PREFERENCES"}:
        return None
    found = _CURRENT.search(message)
    current = int(found.group(1)) if found else None
    return PreferencesRefused(code.strip(), _CURRENT.sub("", message).strip(), current)


def _stored(message: pb.UiPreferences) -> StoredPreferences:
    return StoredPreferences(message.document_json or "{}", message.version, message.updated_at)


class PreferencesClient:
    def __init__(self, downstream: Downstream) -> None:
        self.downstream = downstream
        self._stub = pb_grpc.UiPreferencesServiceStub(downstream.channel)

    async def _call(self, method: str, request: Any, who: Principal, idempotent: bool) -> Any:
        rpc = with_metadata(getattr(self._stub, method), (("x-user-id", who.sub),))
        try:
            return await self.downstream.call(method, rpc, request, idempotent=idempotent)
        except DownstreamError as exc:
            if (refused := refusal_of(exc)) is not None:
                raise refused from exc
            raise

    async def get(self, who: Principal) -> StoredPreferences:
        response = await self._call("GetUiPreferences", pb.GetUiPreferencesRequest(), who, True)
        return _stored(response.preferences)

    async def save(
        self, who: Principal, document_json: str, expected_version: int
    ) -> StoredPreferences:
        """Guarded by the version, so not retried here: the client reconciles and saves again."""
        request = pb.SaveUiPreferencesRequest(
            document_json=document_json, expected_version=expected_version
        )
        response = await self._call("SaveUiPreferences", request, who, False)
        return _stored(response.preferences)


class MemoryPreferences:
    """In-memory PreferencesApi with the service's version rule (unit tests, the authz matrix)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], StoredPreferences] = {}
        self.calls: list[str] = []

    async def get(self, who: Principal) -> StoredPreferences:
        self.calls.append("get")
        return self.rows.get((who.tenant_id, who.sub), StoredPreferences("{}", 0, ""))

    async def save(
        self, who: Principal, document_json: str, expected_version: int
    ) -> StoredPreferences:
        self.calls.append("save")
        current = await self.get(who)
        if current.version != expected_version:
            message = f"preferences are at version {current.version}, not {expected_version}"
            raise PreferencesRefused("VERSION_CONFLICT", message, current.version)
        saved = StoredPreferences(document_json, expected_version + 1, "2026-01-01T00:00:00+00:00")
        self.rows[(who.tenant_id, who.sub)] = saved
        return saved

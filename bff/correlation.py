"""Correlation ids: accept the client's X-Correlation-Id when it is sane, otherwise mint one."""

from __future__ import annotations

import re

import uuid_utils

HEADER = "x-correlation-id"
_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def correlation_id_from(value: str | None) -> str:
    """A client value is kept only if safe to log and forward; else a fresh UUIDv7."""
    if value is not None and _SAFE.match(value):
        return value
    return str(uuid_utils.uuid7())

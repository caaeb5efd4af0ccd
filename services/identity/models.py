"""Identity tables (SQLModel): tenants, users, OAuth clients, codes, refresh tokens, sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime, utc_now


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UtcDateTime, nullable=nullable))


class TenantRow(SQLModel, table=True):
    __tablename__ = "identity_tenants"

    tenant_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UtcDateTime))


class UserRow(SQLModel, table=True):
    """A person who logs in. Usernames are unique across tenants (the login form has no tenant)."""

    __tablename__ = "identity_users"

    user_id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(index=True, max_length=64, foreign_key="identity_tenants.tenant_id")
    username: str = Field(sa_column=Column(String(200), unique=True, nullable=False))
    password_hash: str
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    entitlements: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    enabled: bool = True
    failed_attempts: int = 0
    locked_until: datetime | None = _ts(nullable=True)
    # Optimistic concurrency for admin changes; event_seq orders this user's audit events.
    version: int = 1
    event_seq: int = 0


class ClientRow(SQLModel, table=True):
    """An OAuth client: the workstation (public, PKCE) or a service account (confidential)."""

    __tablename__ = "identity_clients"

    client_id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    # None for a public client; an argon2 hash for a confidential one.
    secret_hash: str | None = None
    redirect_uris: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    grant_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    scope: str = "openid profile"
    # Service accounts (client credentials) act for one tenant with their own roles.
    tenant_id: str | None = Field(default=None, max_length=64)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    entitlements: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    enabled: bool = True


class AuthCodeRow(SQLModel, table=True):
    __tablename__ = "identity_auth_codes"

    code_hash: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=100)
    user_id: str = Field(max_length=64)
    tenant_id: str = Field(max_length=64)
    session_id: str = Field(max_length=64)
    redirect_uri: str
    scope: str
    nonce: str | None = None
    code_challenge: str
    code_challenge_method: str = "S256"
    auth_time: int
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    used: bool = False


class RefreshTokenRow(SQLModel, table=True):
    """A refresh token (hashed). Rotation links tokens into a family; reuse revokes the family."""

    __tablename__ = "identity_refresh_tokens"
    __table_args__ = (Index("ix_identity_refresh_family", "family_id"),)

    token_hash: str = Field(primary_key=True, max_length=64)
    family_id: str = Field(max_length=64)
    client_id: str = Field(max_length=100)
    user_id: str = Field(max_length=64)
    tenant_id: str = Field(max_length=64)
    session_id: str = Field(max_length=64)
    scope: str
    issued_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    rotated_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)


class SessionRow(SQLModel, table=True):
    """A browser session at the identity provider (cookie), and the `sid` of its tokens."""

    __tablename__ = "identity_sessions"

    session_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(index=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    revoked_at: datetime | None = _ts(nullable=True)

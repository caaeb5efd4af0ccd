"""BFF authentication: bearer token → typed Principal; role permissions and entitlement checks."""

from __future__ import annotations

from redis.asyncio import Redis

from bff.auth.claims import ClaimMapping
from bff.auth.config import AuthSettings
from bff.auth.errors import (
    AuthenticationError,
    AuthError,
    AuthorizationError,
    CrossTenantAccess,
    MissingPermission,
    MissingToken,
    NotEntitled,
)
from bff.auth.jwks import OidcKeySource, StaticKeySource
from bff.auth.permissions import Permission, can, permissions_of, require
from bff.auth.principal import Entitlements, Principal, Role
from bff.auth.revocation import InMemoryRevocationList, RedisRevocationList, RevocationList
from bff.auth.revocation_db import DatabaseRevocationList
from bff.auth.validator import TokenValidator
from core.db import Database
from core.settings import Profile, get_settings

__all__ = [
    "AuthError",
    "AuthSettings",
    "AuthenticationError",
    "AuthorizationError",
    "ClaimMapping",
    "CrossTenantAccess",
    "DatabaseRevocationList",
    "Entitlements",
    "InMemoryRevocationList",
    "MissingPermission",
    "MissingToken",
    "NotEntitled",
    "OidcKeySource",
    "Permission",
    "Principal",
    "RedisRevocationList",
    "RevocationList",
    "Role",
    "StaticKeySource",
    "TokenValidator",
    "authenticate",
    "bearer_token",
    "can",
    "configure",
    "default_validator",
    "permissions_of",
    "require",
    "shared_revocation_list",
]

_state: dict[str, object] = {}


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` value (or a bare token, e.g. WS init)."""
    if not authorization or not authorization.strip():
        raise MissingToken("no bearer token")
    scheme, _, rest = authorization.strip().partition(" ")
    if not rest:
        return scheme
    if scheme.lower() != "bearer":
        raise MissingToken("authorization scheme must be Bearer")
    return rest.strip()


async def authenticate(
    authorization: str | None, *, validator: TokenValidator | None = None
) -> Principal:
    """Validate the caller's bearer token; raises an AuthenticationError subclass (401) if not."""
    return await (validator or default_validator()).validate(bearer_token(authorization))


def shared_revocation_list() -> RevocationList:
    """The process-wide revocation list: Redis for real/prod; for embedded, the platform's
    SQLite database, so the identity process and the BFF process see the same list."""
    revocations = _state.get("revocations")
    if revocations is None:
        settings = get_settings()
        if settings.profile is Profile.EMBEDDED:
            revocations = DatabaseRevocationList(Database.from_settings(settings))
        else:
            revocations = RedisRevocationList(Redis.from_url(settings.effective_redis_url()))
        _state["revocations"] = revocations
    assert isinstance(
        revocations, InMemoryRevocationList | RedisRevocationList | DatabaseRevocationList
    )
    return revocations


def default_validator() -> TokenValidator:
    """The validator built from `AuthSettings`, created on first use."""
    validator = _state.get("validator")
    if validator is None:
        auth = AuthSettings()
        validator = TokenValidator(
            issuer=auth.issuer,
            audience=auth.audience,
            keys=OidcKeySource(
                auth.issuer,
                jwks_uri=auth.jwks_uri,
                ttl_s=auth.jwks_ttl_s,
                min_refresh_interval_s=auth.jwks_min_refresh_s,
            ),
            revocations=shared_revocation_list(),
            mapping=auth.claim_mapping(),
            algorithms=auth.algorithms,
            leeway_s=auth.leeway_s,
        )
        _state["validator"] = validator
    assert isinstance(validator, TokenValidator)
    return validator


def configure(
    *, validator: TokenValidator | None = None, revocations: RevocationList | None = None
) -> None:
    """Install a validator / revocation list (tests, or a process that wires its own)."""
    for name, value in (("validator", validator), ("revocations", revocations)):
        if value is None:
            _state.pop(name, None)
        else:
            _state[name] = value

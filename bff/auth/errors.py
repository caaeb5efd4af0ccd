"""Typed authentication and authorization errors, each carrying a stable code and HTTP status."""

from __future__ import annotations


class AuthError(Exception):
    """Base of every auth failure; `code` is stable and safe to show to a client."""

    code = "auth_error"
    http_status = 401

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.code)
        self.detail = detail or self.code


class AuthenticationError(AuthError):
    """The caller could not be identified: answer 401 (GraphQL: UNAUTHENTICATED)."""

    code = "unauthenticated"


class MissingToken(AuthenticationError):
    code = "missing_token"


class MalformedToken(AuthenticationError):
    code = "malformed_token"


class UnsupportedAlgorithm(AuthenticationError):
    """`alg=none`, a symmetric algorithm (HS/RS confusion) or one not on the allow-list."""

    code = "unsupported_algorithm"


class UnknownSigningKey(AuthenticationError):
    code = "unknown_signing_key"


class KeyAlgorithmMismatch(AuthenticationError):
    """The header's algorithm does not fit the key type the kid points at."""

    code = "key_algorithm_mismatch"


class InvalidSignature(AuthenticationError):
    code = "invalid_signature"


class InvalidIssuer(AuthenticationError):
    code = "invalid_issuer"


class InvalidAudience(AuthenticationError):
    code = "invalid_audience"


class TokenExpired(AuthenticationError):
    code = "token_expired"


class TokenNotYetValid(AuthenticationError):
    code = "token_not_yet_valid"


class TokenRevoked(AuthenticationError):
    code = "token_revoked"


class InvalidClaims(AuthenticationError):
    code = "invalid_claims"


class IssuerUnavailable(AuthenticationError):
    """Discovery or JWKS could not be fetched; tokens cannot be checked, so none are accepted."""

    code = "issuer_unavailable"
    http_status = 503


class AuthorizationError(AuthError):
    """The caller is known but may not do this: answer 403 (GraphQL: FORBIDDEN)."""

    code = "forbidden"
    http_status = 403


class MissingPermission(AuthorizationError):
    code = "missing_permission"


class NotEntitled(AuthorizationError):
    code = "not_entitled"


class CrossTenantAccess(AuthorizationError):
    """Another tenant's resource: reported as not found so its existence does not leak."""

    code = "not_found"
    http_status = 404

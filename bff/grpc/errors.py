"""The one place where a gRPC status becomes a typed GraphQL error (extensions.code)."""

from __future__ import annotations

import grpc
from graphql import GraphQLError


class DownstreamError(GraphQLError):
    """A failed downstream call; a GraphQLError so resolvers may simply let it propagate."""

    code = "DOWNSTREAM_ERROR"

    def __init__(self, service: str, detail: str, *, retryable: bool = False) -> None:
        super().__init__(f"{service}: {detail}", extensions={"code": self.code, "service": service})
        self.service = service
        self.detail = detail
        self.retryable = retryable


class DownstreamNotFound(DownstreamError):
    code = "NOT_FOUND"


class DownstreamPermissionDenied(DownstreamError):
    code = "NOT_ENTITLED"


class DownstreamUnauthenticated(DownstreamError):
    code = "UNAUTHENTICATED"


class DownstreamInvalidArgument(DownstreamError):
    code = "BAD_USER_INPUT"


class DownstreamUnavailable(DownstreamError):
    code = "DOWNSTREAM_UNAVAILABLE"


class DownstreamTimeout(DownstreamError):
    code = "DOWNSTREAM_TIMEOUT"


class CircuitOpen(DownstreamUnavailable):
    code = "CIRCUIT_OPEN"


class DownstreamFailed(DownstreamError):
    """Anything the BFF does not expect (INTERNAL, UNKNOWN, DATA_LOSS, ...)."""

    code = "DOWNSTREAM_FAILED"


_BY_STATUS: dict[grpc.StatusCode, type[DownstreamError]] = {
    grpc.StatusCode.NOT_FOUND: DownstreamNotFound,
    grpc.StatusCode.PERMISSION_DENIED: DownstreamPermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: DownstreamUnauthenticated,
    grpc.StatusCode.INVALID_ARGUMENT: DownstreamInvalidArgument,
    grpc.StatusCode.FAILED_PRECONDITION: DownstreamInvalidArgument,
    grpc.StatusCode.ALREADY_EXISTS: DownstreamInvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: DownstreamInvalidArgument,
    grpc.StatusCode.UNAVAILABLE: DownstreamUnavailable,
    grpc.StatusCode.RESOURCE_EXHAUSTED: DownstreamUnavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DownstreamTimeout,
}

# Statuses that say "the downstream is unwell": these count against its circuit breaker.
BREAKER_STATUSES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
    }
)
# Statuses worth retrying, and only for idempotent reads.
RETRYABLE_STATUSES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})


def map_status(service: str, code: grpc.StatusCode, detail: str | None) -> DownstreamError:
    kind = _BY_STATUS.get(code, DownstreamFailed)
    return kind(service, detail or code.name, retryable=code in RETRYABLE_STATUSES)

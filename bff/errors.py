"""GraphQL error policy: typed codes for expected failures, masked ids for unexpected ones."""

from __future__ import annotations

import logging

import uuid_utils
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from bff.auth import AuthenticationError, AuthorizationError
from bff.metrics import MASKED_ERRORS

log = logging.getLogger("bff.errors")

# Errors from these types are part of the contract: their message and code reach the client.
EXPECTED: tuple[type[BaseException], ...] = (AuthenticationError, AuthorizationError)


def _with_code(error: GraphQLError, exc: BaseException) -> GraphQLError:
    """Auth failures are plain exceptions; give them the contract's code."""
    code = "UNAUTHENTICATED" if isinstance(exc, AuthenticationError) else "FORBIDDEN"
    return GraphQLError(
        str(exc) or type(exc).__name__,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": code},
    )


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, (GraphQLError, *EXPECTED))


class MaskUnexpectedErrors(MaskErrors):
    """Masks anything the BFF did not plan for; the id in the message is the one in the log."""

    def __init__(self, subgraph: str) -> None:
        super().__init__(should_mask_error=_is_unexpected, error_message="Internal error")
        self.subgraph = subgraph

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in errors:
            original = error.original_error
            if _is_unexpected(error):
                processed.append(self.anonymise_error(error))
            elif isinstance(original, EXPECTED):
                processed.append(_with_code(error, original))
            else:
                processed.append(error)
        return processed

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        error_id = str(uuid_utils.uuid7())
        original = error.original_error
        log.error(
            "unexpected error in resolver",
            extra={"error_id": error_id, "path": error.path, "subgraph": self.subgraph},
            exc_info=(type(original), original, original.__traceback__) if original else None,
        )
        MASKED_ERRORS.labels(self.subgraph).inc()
        return GraphQLError(
            f"Internal error (id {error_id})",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL", "errorId": error_id},
        )

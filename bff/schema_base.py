"""Federation schema base: error logging is left to MaskUnexpectedErrors (one line, one id)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError


class SubgraphSchema(strawberry.federation.Schema):
    """Strawberry logs every error with a traceback; expected ones (typed codes, validation,
    auth) are answers, not incidents, and unexpected ones are logged once when masked."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None

"""Schema extensions every subgraph runs: auth guard, correlation, metrics, limits, masking."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from graphql import ASTValidationRule, GraphQLResolveInfo, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.tracing import OpenTelemetryExtension

from bff.auth.policy import PolicyGuard
from bff.context import OrionContext
from bff.errors import MaskUnexpectedErrors
from bff.metrics import OPERATION_LATENCY, OPERATIONS
from bff.settings import BffLimits

# Root fields reachable without a principal: the gateway's SDL fetch and __typename probes.
PUBLIC_ROOT_FIELDS = frozenset({"_service", "__typename", "__schema", "__type"})
# Parsed documents and their validation results kept per distinct query text (LRU): clients send
# the same few documents over and over, and validation was ~22% of the BFF's CPU under the RFQ
# benchmark. Bounded, so unique query texts from a client cannot grow memory.
DOCUMENT_CACHE_SIZE = 512
# Operation names are client input: bound the label values so metrics cannot be flooded.
MAX_OPERATION_LABELS = 500
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_seen_names: set[str] = set()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if name in _seen_names:
        return name
    if _NAME.match(name) and len(_seen_names) < MAX_OPERATION_LABELS:
        _seen_names.add(name)
        return name
    return "other"


class OrionOperation(SchemaExtension):
    """Binds logging context, guards root fields, returns the correlation id, counts outcomes."""

    def __init__(self, *, execution_context: Any = None) -> None:
        super().__init__(execution_context=execution_context)
        self._started = 0.0
        self._rate_checked = False

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, OrionContext):
            context.bind_logging()
        self._started = time.perf_counter()
        yield
        self._record(context)

    def _record(self, context: Any) -> None:
        subgraph = context.subgraph if isinstance(context, OrionContext) else "unknown"
        ctx = self.execution_context
        try:
            op_type = ctx.operation_type.value
        except RuntimeError:  # the document did not parse: there is no operation type
            op_type = "invalid"
        result = ctx.result
        outcome = "error" if (result is None or getattr(result, "errors", None)) else "ok"
        name = operation_label(ctx.operation_name)
        OPERATIONS.labels(subgraph, name, op_type, outcome).inc()
        OPERATION_LATENCY.labels(subgraph, op_type).observe(time.perf_counter() - self._started)

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
    ) -> Awaitable[object] | object:
        if info.path.prev is None and info.field_name not in PUBLIC_ROOT_FIELDS:
            context = info.context
            if isinstance(context, OrionContext):
                principal = context.require_principal()
                if context.rate_limiter is not None and not self._rate_checked:
                    self._rate_checked = True  # one token per operation, not per root field
                    context.rate_limiter.check(principal)
        result: object = _next(root, info, *args, **kwargs)
        return result

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if isinstance(context, OrionContext):
            return {"correlationId": context.current_correlation_id()}
        return {}


def limit_rules(limits: BffLimits) -> tuple[type[ASTValidationRule], ...]:
    """The limiters' validation rules, built once per schema. Strawberry's limiter extensions
    build new rule classes per instance, so per-operation instances gave every operation a new
    rule set and a validation cache keyed by the rules could never hit."""
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
    ]
    if not limits.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


def extensions_for(subgraph: str, limits: BffLimits) -> list[Any]:
    """Factories, not instances: extensions keep per-operation state."""
    rules = list(limit_rules(limits))
    return [
        OpenTelemetryExtension,  # dropped per operation when no tracer records (schema_base)
        # resolve() hooks nest with the last listed outermost: OrionOperation's authentication
        # check (with the token's failure reason) runs before the declared-policy check.
        PolicyGuard,  # declared access policy per root field, deny by default (bff.auth)
        OrionOperation,
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),  # a parse option: keyed
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: MaskUnexpectedErrors(subgraph),
    ]

"""Operation guards: depth, alias and token limits, introspection in prod; all clear errors."""

from __future__ import annotations

import pytest
from graphql import NoSchemaIntrospectionCustomRule
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import ProxyTracerProvider
from strawberry.extensions import AddValidationRules

from bff.extensions import extensions_for, limit_rules
from bff.settings import BffLimits
from bff.workstation.schema import build_schema
from core.settings import Profile, Settings
from tests.unit.bff.conftest import Executor


def _messages(result: object) -> str:
    return " ".join(e.message for e in (getattr(result, "errors", None) or []))


async def test_too_deep_query_is_rejected_before_execution(gql: Executor) -> None:
    deep = "{ me { user { id } } }"
    limits = BffLimits(max_depth=1)
    schema = build_schema(limits)
    ctx = await gql.context("workstation", gql.issuer.mint())
    result = await schema.execute(deep, context_value=ctx)
    assert result.data is None
    assert "exceeds maximum operation depth" in _messages(result)


async def test_too_many_aliases_are_rejected(gql: Executor) -> None:
    fields = " ".join(f"a{i}: __typename" for i in range(40))
    result = await gql.run("workstation", "{ " + fields + " }", token=gql.issuer.mint())
    assert result.data is None
    assert "aliases" in _messages(result).lower()


async def test_too_many_tokens_are_rejected(gql: Executor) -> None:
    fields = " ".join("__typename" for _ in range(2500))
    result = await gql.run("workstation", "{ " + fields + " }", token=gql.issuer.mint())
    assert result.data is None
    assert "more than 2000 tokens" in _messages(result)


async def test_introspection_is_off_in_prod_and_on_elsewhere(gql: Executor) -> None:
    prod = BffLimits.for_settings(Settings(profile=Profile.PROD))
    dev = BffLimits.for_settings(Settings(profile=Profile.EMBEDDED))
    ctx = await gql.context("workstation", gql.issuer.mint())
    query = "{ __schema { queryType { name } } }"
    denied = await build_schema(prod).execute(query, context_value=ctx)
    allowed = await build_schema(dev).execute(query, context_value=ctx)
    assert denied.data is None
    assert "introspection" in _messages(denied).lower()
    assert allowed.errors is None


async def test_service_sdl_is_public_for_gateway_composition(gql: Executor) -> None:
    result = await gql.run("workstation", "{ _service { sdl } }")
    assert result.errors is None
    assert "type Instrument" in result.data["_service"]["sdl"]  # type: ignore[index]


async def test_invalid_token_error_says_why(gql: Executor) -> None:
    ctx = await gql.context("workstation", None)
    ctx.auth_failure = "token expired"
    result = await gql.schemas["workstation"].execute("{ me { tenantId } }", context_value=ctx)
    assert "token expired" in _messages(result)
    assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"  # type: ignore[index]


async def test_a_repeated_too_deep_query_is_still_rejected(gql: Executor) -> None:
    # The second run hits the parse and validation caches: the cached errors must still apply.
    schema = build_schema(BffLimits(max_depth=1))
    ctx = await gql.context("workstation", gql.issuer.mint())
    for _ in range(2):
        result = await schema.execute("{ me { user { id } } }", context_value=ctx)
        assert result.data is None
        assert "exceeds maximum operation depth" in _messages(result)


def test_limit_rules_are_the_same_classes_for_every_operation() -> None:
    # Validation results are cached by (schema, document, rules): new rule classes per
    # operation would make every lookup a miss.
    extensions = extensions_for("workstation", BffLimits())
    rule_sets = []
    for _ in range(2):
        added = [e() for e in extensions if not isinstance(e, type)]
        rules = [
            x for ext in added if isinstance(ext, AddValidationRules) for x in ext.validation_rules
        ]
        rule_sets.append(tuple(rules))
    assert rule_sets[0] == rule_sets[1]
    assert len(rule_sets[0]) == 2  # depth and aliases (introspection allowed outside prod)
    assert NoSchemaIntrospectionCustomRule in limit_rules(BffLimits(introspection=False))


def test_tracing_extension_runs_only_with_a_tracer_provider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = build_schema(BffLimits())
    monkeypatch.setattr(trace, "get_tracer_provider", ProxyTracerProvider)
    names = {type(e).__name__ for e in schema.get_extensions()}
    assert "OpenTelemetryExtension" not in names
    assert {"OrionOperation", "PolicyGuard", "ValidationCache", "ParserCache"} <= names
    monkeypatch.setattr(trace, "get_tracer_provider", TracerProvider)
    assert "OpenTelemetryExtension" in {type(e).__name__ for e in schema.get_extensions()}

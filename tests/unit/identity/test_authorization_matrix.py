"""Authorization matrix generated from the live subgraph schemas.

Every root query, mutation and subscription x every role (and no token) x own / other tenant is
executed against the schema exactly as the BFF builds it (PolicyGuard included); the outcome must
equal the declared policy. An operation
without a declared policy fails the test, denied operations never reach downstream, and another
tenant's principal never sees the owning tenant's data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
)

from bff.auth import Entitlements, Principal, Role
from bff.auth.policy import POLICIES, Decision, PolicyGuard, policy_for, policy_key
from bff.context import Loaders, OrionContext
from bff.grpc.channels import Downstreams
from bff.grpc.preferences import MemoryPreferences
from bff.grpc.rfq_fake import FakeRfqService, fake_rfq_client
from bff.grpc.rfq_trades import TradeBlotter
from bff.settings import BffLimits
from bff.subgraphs import SUBGRAPHS
from eventbus.readmodel import MemoryReadModelStore
from tests.unit.bff.fakes import FakeRefData

OWN, OTHER = "acme", "globex"
FEDERATION = {"_entities", "_service"}
SCALARS = {
    "ID": '"EURUSD"',
    "String": '"x"',
    "Int": "1",
    "Float": "1.5",
    "Boolean": "false",
    "Decimal": '"1.5"',
}
# Operations that need one of several optional arguments to do anything.
EXTRA_ARGS = {"marketData": 'instrumentIds: ["FX.EURUSD"]'}


@dataclass(frozen=True)
class Operation:
    subgraph: str
    root: str
    field: str
    document: str

    @property
    def key(self) -> str:
        return policy_key(self.subgraph, self.root, self.field)


def _unwrap(t: Any) -> Any:
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        t = t.of_type
    return t


def _literal(t: GraphQLInputType) -> str:
    if isinstance(t, GraphQLNonNull):
        return _literal(t.of_type)
    if isinstance(t, GraphQLList):
        return f"[{_literal(t.of_type)}]"
    if isinstance(t, GraphQLEnumType):
        return str(next(iter(t.values)))
    if isinstance(t, GraphQLInputObjectType):
        required = {n: f for n, f in t.fields.items() if isinstance(f.type, GraphQLNonNull)}
        return "{" + ", ".join(f"{n}: {_literal(f.type)}" for n, f in required.items()) + "}"
    assert isinstance(t, GraphQLScalarType)
    return SCALARS.get(t.name, '"x"')


def _scalars(t: GraphQLObjectType) -> str:
    names = [n for n, f in t.fields.items() if not f.args and _leaf(f.type)]
    return " ".join(["__typename", *names])


def _leaf(t: GraphQLOutputType) -> bool:
    return isinstance(_unwrap(t), (GraphQLScalarType, GraphQLEnumType))


def _selection(t: GraphQLOutputType) -> str:
    inner = _unwrap(t)
    if isinstance(inner, GraphQLObjectType):
        return "{ " + _scalars(inner) + " }"
    if isinstance(inner, GraphQLUnionType):
        parts = [f"... on {m.name} {{ {_scalars(m)} }}" for m in inner.types]
        return "{ __typename " + " ".join(parts) + " }"
    return ""


def _document(root: str, name: str, field: GraphQLField) -> str:
    args = [
        f"{n}: {_literal(a.type)}"
        for n, a in field.args.items()
        if isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined
    ]
    if root == "Subscription" and "count" in field.args:
        args.append("count: 1")
    if name in EXTRA_ARGS:
        args.append(EXTRA_ARGS[name])
    call = f"{name}({', '.join(args)})" if args else name
    return f"{root.lower()} {{ {call} {_selection(field.type)} }}"


def live_operations() -> list[Operation]:
    ops = []
    for subgraph, build in SUBGRAPHS.items():
        schema = build(BffLimits())._schema
        for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
            if root is None:
                continue
            for name, field in root.fields.items():
                ops.append(Operation(subgraph, root.name, name, _document(root.name, name, field)))
    return ops


OPERATIONS = live_operations()
EXECUTABLE = [op for op in OPERATIONS if op.field not in FEDERATION]


def test_every_live_operation_declares_a_policy() -> None:
    missing = [op.key for op in OPERATIONS if policy_for(op.subgraph, op.root, op.field) is None]
    assert not missing, f"operations without a declared access policy: {missing}"


def test_every_live_subgraph_runs_the_policy_guard() -> None:
    for subgraph, build in SUBGRAPHS.items():
        assert PolicyGuard in build(BffLimits()).extensions, subgraph


def test_no_policy_is_declared_for_an_operation_that_does_not_exist() -> None:
    live = {op.key for op in OPERATIONS}
    assert set(POLICIES) <= live, f"stale policies: {sorted(set(POLICIES) - live)}"


def test_no_operation_takes_a_tenant_argument() -> None:
    """The tenant comes from the token only: no operation lets a caller name one."""
    for subgraph, build in SUBGRAPHS.items():
        schema = build(BffLimits())._schema
        for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
            for name, field in (root.fields if root else {}).items():
                assert not [a for a in field.args if "tenant" in a.lower()], f"{subgraph}.{name}"


class CountingRefData(FakeRefData):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def _tenant(self) -> str:
        self.calls += 1
        return super()._tenant()


def principal(role: Role, tenant: str) -> Principal:
    everything = frozenset({"*"})
    return Principal(
        sub=f"u-{tenant}-{role.name.lower()}",
        tenant_id=tenant,
        roles=frozenset({role}),
        entitlements=Entitlements(
            asset_classes=everything,
            instruments=everything,
            product_groups=everything,
            venues=everything,
            max_notional=Decimal("1e12"),
        ),
    )


async def execute(op: Operation, who: Principal | None) -> tuple[Decision, Any, int]:
    schema = SUBGRAPHS[op.subgraph](BffLimits())  # exactly as the BFF serves it
    refdata = CountingRefData()
    rfq = FakeRfqService(autocreate=True)
    trades = TradeBlotter(MemoryReadModelStore())
    downstreams: Any = Downstreams(
        refdata=refdata,  # type: ignore[arg-type]
        rfq=fake_rfq_client(rfq),
        trades=trades,
        preferences=MemoryPreferences(),
    )
    ctx = OrionContext(
        subgraph=op.subgraph,
        correlation_id="matrix",
        downstreams=downstreams,
        loaders=Loaders.create(downstreams),
        principal=who,
    )
    if op.root == "Subscription":
        stream = await schema.subscribe(op.document, context_value=ctx)
        result: Any = stream if not hasattr(stream, "__aiter__") else await anext(stream)
        if hasattr(stream, "aclose"):
            await stream.aclose()
    else:
        result = await schema.execute(op.document, context_value=ctx)
    return _decision(result), result.data, refdata.calls + len(rfq.calls)


def _decision(result: Any) -> Decision:
    codes = {(e.extensions or {}).get("code") for e in result.errors or []}
    if "UNAUTHENTICATED" in codes:
        return Decision.UNAUTHENTICATED
    if "FORBIDDEN" in codes:
        return Decision.FORBIDDEN
    assert not result.errors, f"unexpected errors: {result.errors}"
    return Decision.ALLOW


def _ids(op: Operation) -> str:
    return f"{op.subgraph}:{op.root}.{op.field}"


@pytest.mark.parametrize("op", EXECUTABLE, ids=_ids)
async def test_anonymous_caller_is_refused(op: Operation) -> None:
    policy = policy_for(op.subgraph, op.root, op.field)
    assert policy is not None
    decision, _, calls = await execute(op, None)
    assert decision is policy.decide(None)
    if decision is not Decision.ALLOW:
        assert calls == 0, "a refused operation reached downstream"


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.name)
@pytest.mark.parametrize("op", EXECUTABLE, ids=_ids)
async def test_role_gets_the_declared_decision_in_own_and_other_tenant(
    op: Operation, role: Role
) -> None:
    policy = policy_for(op.subgraph, op.root, op.field)
    assert policy is not None
    expected = policy.decide(principal(role, OWN))
    for tenant in (OWN, OTHER):
        decision, data, calls = await execute(op, principal(role, tenant))
        assert decision is expected, f"{_ids(op)} as {role.name} in {tenant}"
        if decision is not Decision.ALLOW:
            assert calls == 0, "a refused operation reached downstream"
        foreign = OTHER if tenant == OWN else OWN
        assert foreign not in json.dumps(data), f"{_ids(op)} leaked {foreign} data to {tenant}"


async def test_undeclared_operation_is_refused_by_the_guard() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def secret(self) -> str:
            return "leak"

    schema = strawberry.Schema(query=Query, extensions=[PolicyGuard])
    ctx = OrionContext(
        subgraph="workstation",
        correlation_id="matrix",
        downstreams=None,  # type: ignore[arg-type]
        loaders=None,  # type: ignore[arg-type]
        principal=principal(Role.ADMIN, OWN),
    )
    result = await schema.execute("{ secret }", context_value=ctx)
    assert result.data is None
    assert "no declared access policy" in str(result.errors)

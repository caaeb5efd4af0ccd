"""Fixtures for BFF unit tests: a token issuer, a fake downstream, a schema executor."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.types import ExecutionResult

from bff.auth import authenticate
from bff.context import Loaders, OrionContext
from bff.grpc.channels import Downstreams
from bff.settings import BffLimits
from bff.subgraphs import SUBGRAPHS
from tests.unit.bff.fakes import FakeRefData
from tests.unit.bff.tokens import Issuer

_ISSUER = Issuer()  # RSA key generation is slow: one per test session


@pytest.fixture
def issuer() -> Issuer:
    return _ISSUER


@pytest.fixture
def refdata() -> FakeRefData:
    return FakeRefData()


class Executor:
    """Runs an operation against a subgraph schema with a context like the view builds."""

    def __init__(self, refdata: FakeRefData, issuer: Issuer) -> None:
        self.refdata = refdata
        self.issuer = issuer
        self.schemas = {name: build(BffLimits()) for name, build in SUBGRAPHS.items()}

    async def context(self, subgraph: str, token: str | None) -> OrionContext:
        downstreams: Any = Downstreams(refdata=self.refdata)  # type: ignore[arg-type]
        ctx = OrionContext(
            subgraph=subgraph,
            correlation_id="corr-test-1",
            downstreams=downstreams,
            loaders=Loaders.create(downstreams),
        )
        if token is not None:
            ctx.principal = await authenticate(token, validator=self.issuer.validator())
        return ctx

    async def run(
        self,
        subgraph: str,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
    ) -> ExecutionResult:
        ctx = await self.context(subgraph, token)
        return await self.schemas[subgraph].execute(
            query, variable_values=variables, context_value=ctx
        )


@pytest.fixture
def gql(refdata: FakeRefData, issuer: Issuer) -> Executor:
    return Executor(refdata, issuer)

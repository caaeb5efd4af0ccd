"""Service-layer tenancy helpers: a missing tenant is a loud programming error."""

from __future__ import annotations

import pytest

from core.logging import tenant_id_var
from services.identity.tenancy import (
    MissingTenant,
    app_role_ddl,
    current_tenant,
    require_tenant,
    row_level_security,
)


@pytest.mark.parametrize("missing", [None, "", "   "])
def test_missing_tenant_raises(missing: str | None) -> None:
    with pytest.raises(MissingTenant):
        require_tenant(missing)


def test_current_tenant_comes_from_the_request_context() -> None:
    token = tenant_id_var.set("acme")
    try:
        assert current_tenant() == "acme"
    finally:
        tenant_id_var.reset(token)
    token = tenant_id_var.set(None)
    try:
        with pytest.raises(MissingTenant):
            current_tenant()
    finally:
        tenant_id_var.reset(token)


def test_ddl_refuses_identifiers_that_are_not_plain_names() -> None:
    with pytest.raises(ValueError, match="identifier"):
        app_role_ddl("orion; DROP TABLE x")


async def test_rls_refuses_a_table_name_that_is_not_plain() -> None:
    with pytest.raises(ValueError, match="identifier"):
        await row_level_security(None, "orders; --")  # type: ignore[arg-type]

"""The three subgraphs and their stable paths; also used to print their SDL."""

from __future__ import annotations

from collections.abc import Callable

import strawberry

from bff.admin.schema import build_schema as admin_schema
from bff.analytics.schema import build_schema as analytics_schema
from bff.settings import BffLimits
from bff.workstation.schema import build_schema as workstation_schema

Builder = Callable[[BffLimits], strawberry.federation.Schema]

SUBGRAPHS: dict[str, Builder] = {
    "workstation": workstation_schema,
    "admin": admin_schema,
    "analytics": analytics_schema,
}


def path_of(subgraph: str) -> str:
    return f"/graphql/{subgraph}"

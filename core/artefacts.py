"""Registry of generated, checked-in artefacts (event catalogue, GraphQL SDL) and their checks."""

from __future__ import annotations

from collections.abc import Callable

Check = Callable[[], int]


def freshness_checks() -> list[tuple[str, Check]]:
    """Each area that generates a checked-in artefact adds its freshness check here."""
    from bff.sdl import check_breaking as graphql_breaking
    from bff.sdl import check_fresh as graphql_fresh
    from eventbus.catalog import check_fresh as events_catalog_fresh

    return [
        ("event catalogue is fresh", events_catalog_fresh),
        ("GraphQL SDL and supergraph are fresh", graphql_fresh),
        ("GraphQL subgraphs have no unreviewed breaking change", graphql_breaking),
    ]

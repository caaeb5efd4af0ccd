"""Registry of generated, checked-in artefacts (event catalogue, GraphQL SDL) and their checks."""

from __future__ import annotations

from collections.abc import Callable

Check = Callable[[], int]


def freshness_checks() -> list[tuple[str, Check]]:
    """Each area that generates a checked-in artefact adds its freshness check here."""
    return []

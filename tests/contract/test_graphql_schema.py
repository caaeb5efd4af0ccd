"""GraphQL contract: SDL is fresh, the supergraph composes, breaking changes are caught."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema

from bff.sdl import SCHEMA_DIR, allowed_changes, compose, diff_breaking, stale, subgraph_sdls

OLD = """
type Query { instrument(id: ID!): Instrument  instruments: [Instrument!]! }
type Instrument { id: ID!  symbol: String!  lotSize: String }
"""
REMOVED_FIELD = """
type Query { instrument(id: ID!): Instrument  instruments: [Instrument!]! }
type Instrument { id: ID!  lotSize: String }
"""
ADDED_FIELD = """
type Query { instrument(id: ID!): Instrument  instruments: [Instrument!]! }
type Instrument { id: ID!  symbol: String!  lotSize: String  tenor: String }
"""


def test_checked_in_sdl_and_supergraph_match_the_code() -> None:
    assert stale() == [], "run `orion graphql-schemas` and commit schemas/graphql"


def test_supergraph_composes_and_joins_the_three_subgraphs() -> None:
    supergraph = compose(subgraph_sdls())
    schema = build_schema(supergraph, assume_valid_sdl=True)
    for name in ("WORKSTATION", "ADMIN", "ANALYTICS"):
        assert f'{name} @join__graph(name: "{name.lower()}"' in supergraph
    instrument = schema.get_type("Instrument")
    assert instrument is not None
    assert {"symbol", "venues"} <= set(instrument.fields)  # type: ignore[attr-defined]


def test_removing_a_field_is_a_breaking_change() -> None:
    found = diff_breaking({"workstation": OLD}, {"workstation": REMOVED_FIELD}, set())
    assert found == ["workstation: Field Instrument.symbol was removed."]


def test_adding_a_field_is_not_breaking() -> None:
    assert diff_breaking({"workstation": OLD}, {"workstation": ADDED_FIELD}, set()) == []


def test_a_reviewed_breaking_change_listed_in_the_allow_file_passes() -> None:
    allowed = {"workstation: Field Instrument.symbol was removed."}
    assert diff_breaking({"workstation": OLD}, {"workstation": REMOVED_FIELD}, allowed) == []


def test_allow_file_ignores_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "allowed.txt"
    path.write_text("# reviewed in PR 12\n\nadmin: Field Query.venues was removed.  # PR 12\n")
    assert allowed_changes(path) == {"admin: Field Query.venues was removed."}


def test_checked_in_allow_file_holds_no_exception_yet() -> None:
    assert allowed_changes(SCHEMA_DIR / "breaking-changes-allowed.txt") == set()

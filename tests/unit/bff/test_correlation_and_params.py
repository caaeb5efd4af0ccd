"""Correlation ids from clients and tokens from connection_init payloads."""

from __future__ import annotations

import pytest

from bff.correlation import correlation_id_from
from bff.view import token_from_params


def test_safe_client_correlation_id_is_kept() -> None:
    assert correlation_id_from("order-42:retry.1") == "order-42:retry.1"


@pytest.mark.parametrize("value", [None, "", "has space", "new\nline", "x" * 129, "ünï"])
def test_unsafe_or_missing_correlation_id_is_replaced_by_a_uuid7(value: str | None) -> None:
    minted = correlation_id_from(value)
    assert minted != value
    assert len(minted) == 36
    assert minted[14] == "7"  # UUID version 7: sortable by creation time


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"Authorization": "Bearer a"}, "Bearer a"),
        ({"authorization": "Bearer b"}, "Bearer b"),
        ({"authToken": "c"}, "c"),
        ({"Authorization": ""}, None),
        ({"Authorization": 7}, None),
        ({}, None),
    ],
)
def test_token_is_read_from_known_connection_params(
    params: dict[str, object], expected: str | None
) -> None:
    assert token_from_params(params) == expected

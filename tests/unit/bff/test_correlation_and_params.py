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


def test_operation_names_become_bounded_metric_labels() -> None:
    from bff import extensions

    saved = set(extensions._seen_names)
    extensions._seen_names.clear()
    assert extensions.operation_label(None) == "anonymous"
    assert extensions.operation_label("Spanning") == "Spanning"
    assert extensions.operation_label("bad name; drop table") == "other"
    assert extensions.operation_label("x" * 65) == "other"
    for i in range(extensions.MAX_OPERATION_LABELS + 10):
        extensions.operation_label(f"Op{i}")
    assert len(extensions._seen_names) <= extensions.MAX_OPERATION_LABELS
    assert extensions.operation_label("BrandNewAfterTheCap") == "other"
    extensions._seen_names.clear()
    extensions._seen_names.update(saved)

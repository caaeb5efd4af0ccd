"""Retry policy: the documented backoff, per-consumer limits, no retries for poison."""

from __future__ import annotations

import pytest

from eventbus.errors import DecodeError, RetryableError, UnknownEventType
from eventbus.retry import RetryPolicy, is_retryable


def test_default_backoff_follows_half_one_two_five_ten_seconds() -> None:
    policy = RetryPolicy()
    assert [policy.delay_before(n) for n in range(2, 8)] == [0.5, 1.0, 2.0, 5.0, 10.0, 10.0]


def test_retries_stop_at_the_consumer_maximum() -> None:
    policy = RetryPolicy(max_attempts=3)
    error = TimeoutError("db slow")
    assert policy.should_retry(error, 1)
    assert policy.should_retry(error, 2)
    assert not policy.should_retry(error, 3)


def test_validation_schema_and_decode_errors_are_never_retried() -> None:
    policy = RetryPolicy(max_attempts=10)
    for error in (DecodeError("bad bytes"), UnknownEventType("Nope v9")):
        assert not is_retryable(error)
        assert not policy.should_retry(error, 1)


def test_unclassified_and_declared_transient_errors_are_retried() -> None:
    assert is_retryable(RetryableError("broker away"))
    assert is_retryable(ConnectionError("reset"))


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="backoff"):
        RetryPolicy(backoff_s=())

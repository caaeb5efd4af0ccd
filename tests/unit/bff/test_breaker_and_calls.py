"""Circuit breaker states and the status → typed error mapping."""

from __future__ import annotations

import grpc

from bff.grpc.breaker import BreakerState, CircuitBreaker
from bff.grpc.errors import (
    DownstreamFailed,
    DownstreamNotFound,
    DownstreamTimeout,
    DownstreamUnavailable,
    map_status,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_threshold_and_fails_fast() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("x", failure_threshold=3, reset_after_s=5, clock=clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()


def test_breaker_half_opens_after_cooldown_and_allows_one_probe() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("x", failure_threshold=1, reset_after_s=5, clock=clock)
    breaker.record_failure()
    clock.now += 5
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()  # a second caller waits for the probe's verdict


def test_successful_probe_closes_and_failed_probe_reopens() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("x", failure_threshold=1, reset_after_s=5, clock=clock)
    breaker.record_failure()
    clock.now += 5
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now += 5
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED


def test_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker("x", failure_threshold=2, reset_after_s=5, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_statuses_map_to_typed_errors_with_codes() -> None:
    not_found = map_status("refdata", grpc.StatusCode.NOT_FOUND, "gone")
    unavailable = map_status("refdata", grpc.StatusCode.UNAVAILABLE, None)
    timeout = map_status("refdata", grpc.StatusCode.DEADLINE_EXCEEDED, None)
    internal = map_status("refdata", grpc.StatusCode.INTERNAL, "stack")
    assert isinstance(not_found, DownstreamNotFound)
    assert isinstance(unavailable, DownstreamUnavailable)
    assert unavailable.retryable
    assert isinstance(timeout, DownstreamTimeout)
    assert not timeout.retryable  # a timed-out read may be slow, not down: do not pile on
    assert isinstance(internal, DownstreamFailed)
    assert internal.extensions == {"code": "DOWNSTREAM_FAILED", "service": "refdata"}

"""Retry policy for consumers: exponential backoff for transient errors, none for poison."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from eventbus.errors import NonRetryableError

Sleep = Callable[[float], Awaitable[None]]

DEFAULT_BACKOFF_S: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` counts the first try; delays come from `backoff_s`, the last one repeats."""

    max_attempts: int = 6
    backoff_s: Sequence[float] = DEFAULT_BACKOFF_S

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not self.backoff_s or any(d < 0 for d in self.backoff_s):
            raise ValueError("backoff_s must be non-empty and non-negative")

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt` (2 is the first retry)."""
        index = min(max(attempt - 2, 0), len(self.backoff_s) - 1)
        return float(self.backoff_s[index])

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """Whether attempt `attempt` failing with `error` deserves another try."""
        return attempt < self.max_attempts and is_retryable(error)


def is_retryable(error: BaseException) -> bool:
    """Anything not declared non-retryable is treated as transient (DB hiccup, timeout, ...)."""
    return not isinstance(error, NonRetryableError)


async def default_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)

"""Retries: exponential backoff with jitter, `Retry-After` honoured, one retryability rule.

The retried callable builds and signs its request afresh on every attempt (a new
`x-amz-pay-date`), while the caller's idempotency key stays the same: that is what makes a retried
POST safe.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from adapters.amazon_pay.errors import AmazonPayError, ApiError, is_retryable

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Args:
        max_attempts: attempts in total, the first included (1 = never retry).
        base_delay: seconds before the first retry; doubled for each further one.
        max_delay: cap of any single wait, `Retry-After` included.
        jitter: returns a float in [0, 1); the wait is backoff * (0.5 + jitter / 2).
    """

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 20.0
    jitter: Callable[[], float] = field(default=random.random, repr=False)  # noqa: S311

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays must not be negative")

    def delay(self, attempt: int, error: AmazonPayError) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if isinstance(error, ApiError) and error.retry_after is not None:
            # Amazon said when: trust it (bounded), no jitter needed.
            return min(max(error.retry_after, 0.0), self.max_delay)
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return backoff * (0.5 + self.jitter() / 2)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP date); None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max((moment - now).total_seconds(), 0.0)


def call_with_retries(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    what: str,
) -> T:
    """Run `attempt` until it returns, a non-retryable error occurs or attempts run out."""
    for number in range(1, policy.max_attempts + 1):
        try:
            return attempt()
        except AmazonPayError as error:
            if number == policy.max_attempts or not is_retryable(error):
                raise
            wait = policy.delay(number, error)
            log.info(
                "%s: attempt %d failed (%s), retrying in %.2fs",
                what,
                number,
                type(error).__name__,
                wait,
            )
            sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

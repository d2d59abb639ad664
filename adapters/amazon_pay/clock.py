"""The time source of the client: wall time for signatures, a monotonic clock and sleep for pacing.

One object carries all three so that tests can hand in a fake clock whose `sleep` advances time,
making retries and throttling deterministic and instant without patching anything.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """What the client needs to know about time."""

    def now(self) -> datetime:
        """The current wall time, tz-aware UTC (signed as `x-amz-pay-date`)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (token buckets)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for `seconds`."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current wall time in UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """`time.sleep()`, ignoring non-positive durations."""
        if seconds > 0:
            time.sleep(seconds)

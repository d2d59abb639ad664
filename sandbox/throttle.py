"""Per-operation token buckets answering 429 TooManyRequests (amazon-pay-v2.md §4.5).

Buckets run on real monotonic time, not the sandbox clock: advancing the clock by a week must not
refill them. Quotas are (burst, restore rate per second); `off` disables throttling. Operations
missing from Amazon's table (the Reports API) get the decided values marked below.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sandbox.errors import ApiError

# operation -> (live burst, live rate/s, sandbox burst, sandbox rate/s)
QUOTAS: dict[str, tuple[float, float, float, float]] = {
    "Cancel Charge": (10, 2, 2, 1),
    "Capture Charge": (20, 4, 2, 1),
    "Close Charge Permission": (10, 2, 2, 1),
    "Create Charge": (10, 4, 2, 1),
    "Create Refund": (10, 4, 2, 1),
    "Get Charge": (20, 4, 5, 1),
    "Get Charge Permission": (20, 4, 10, 1),
    "Get Refund": (20, 4, 5, 1),
    "Update Charge Permission": (10, 2, 5, 1),
    # Decided (not in Amazon's table): the Reports API.
    "Get Reports": (10, 1, 5, 1),
    "Get Report By Id": (20, 4, 10, 1),
    "Get Report Document": (20, 4, 10, 1),
}
MODES = ("live", "sandbox", "off")


class TokenBucket:
    """`burst` tokens at most, refilled at `rate` per second."""

    def __init__(self, burst: float, rate: float, monotonic: Callable[[], float]) -> None:
        self.burst = burst
        self.rate = rate
        self._monotonic = monotonic
        self._tokens = burst
        self._stamp = monotonic()

    def take(self) -> bool:
        """Take one token if there is one."""
        now = self._monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


class Throttle:
    """One bucket per operation under the selected quota table."""

    def __init__(self, mode: str, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        # operation -> [requests let through, requests answered 429], for benchmarks
        self.counts: dict[str, list[int]] = {}
        # operation -> wall-clock times (epoch seconds) of the requests let through: the rate
        # several clients together achieved, measured where Amazon would measure it
        self.allowed_at: dict[str, list[float]] = {}
        self.mode = "off"
        self.set_mode(mode)

    def set_mode(self, mode: str) -> None:
        """Switch quota table (live, sandbox, off); all buckets start full."""
        if mode not in MODES:
            raise ValueError(f"quotas must be one of {', '.join(MODES)}, got {mode!r}")
        with self._lock:
            self.mode = mode
            self._buckets = {}
            self.counts = {}
            self.allowed_at = {}

    def stats(self) -> dict[str, dict[str, int]]:
        """Per operation: requests let through and requests throttled since the mode was set."""
        with self._lock:
            return {op: {"allowed": a, "throttled": t} for op, (a, t) in self.counts.items()}

    def allowed_times(self) -> dict[str, list[float]]:
        """Per operation: when (epoch seconds) each request let through arrived."""
        with self._lock:
            return {op: list(times) for op, times in self.allowed_at.items()}

    def check(self, operation: str) -> None:
        """Spend a token of the operation or answer 429 TooManyRequests."""
        if self.mode == "off" or operation not in QUOTAS:
            return
        live_burst, live_rate, sandbox_burst, sandbox_rate = QUOTAS[operation]
        burst, rate = (
            (live_burst, live_rate) if self.mode == "live" else (sandbox_burst, sandbox_rate)
        )
        with self._lock:
            bucket = self._buckets.get(operation)
            if bucket is None:
                bucket = self._buckets[operation] = TokenBucket(burst, rate, self._monotonic)
            allowed = bucket.take()
            self.counts.setdefault(operation, [0, 0])[0 if allowed else 1] += 1
            if allowed:
                self.allowed_at.setdefault(operation, []).append(round(time.time(), 3))
        if not allowed:
            raise ApiError(
                "TooManyRequests", f"{operation} is throttled ({burst:g} burst, {rate:g}/s)"
            )

"""Client-side token buckets per operation, at Amazon's published quotas (amazon-pay-v2.md §4.5).

Amazon throttles per merchant and operation with a token bucket (burst, restore rate per second).
Pacing ourselves with the same bucket lets a batch run at full speed without collecting 429s.
The buckets are thread-safe: a caller reserves a token under a lock (the count may go negative,
which queues later callers behind it) and sleeps outside the lock for its own deficit.

Operations missing from Amazon's table (the reporting calls) get `UNLISTED_QUOTA`, 5 burst and
1 per second: no higher than the lowest Get quota Amazon publishes in either environment (sandbox
Get Charge / Get Refund, 5 / 1). They run once a day, so being slow costs nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from adapters.amazon_pay.clock import Clock


class Operation(StrEnum):
    """The API operations the client calls (names as in Amazon's throttling table)."""

    GET_CHARGE_PERMISSION = "Get Charge Permission"
    UPDATE_CHARGE_PERMISSION = "Update Charge Permission"
    CLOSE_CHARGE_PERMISSION = "Close Charge Permission"
    CREATE_CHARGE = "Create Charge"
    GET_CHARGE = "Get Charge"
    CAPTURE_CHARGE = "Capture Charge"
    CANCEL_CHARGE = "Cancel Charge"
    CREATE_REFUND = "Create Refund"
    GET_REFUND = "Get Refund"
    GET_REPORTS = "Get Reports"
    GET_REPORT_BY_ID = "Get Report By Id"
    GET_REPORT_DOCUMENT = "Get Report Document"


@dataclass(frozen=True)
class Quota:
    """A token bucket: `burst` requests at once, refilled at `per_second`."""

    burst: int
    per_second: float

    def __post_init__(self) -> None:
        if self.burst < 1 or self.per_second <= 0:
            raise ValueError(f"a quota needs burst >= 1 and a positive rate, got {self}")


LIVE_QUOTAS: Mapping[str, Quota] = {
    Operation.CANCEL_CHARGE: Quota(10, 2),
    Operation.CAPTURE_CHARGE: Quota(20, 4),
    Operation.CLOSE_CHARGE_PERMISSION: Quota(10, 2),
    Operation.CREATE_CHARGE: Quota(10, 4),
    Operation.CREATE_REFUND: Quota(10, 4),
    Operation.GET_CHARGE: Quota(20, 4),
    Operation.GET_CHARGE_PERMISSION: Quota(20, 4),
    Operation.GET_REFUND: Quota(20, 4),
    Operation.UPDATE_CHARGE_PERMISSION: Quota(10, 2),
}
SANDBOX_QUOTAS: Mapping[str, Quota] = {
    Operation.CANCEL_CHARGE: Quota(2, 1),
    Operation.CAPTURE_CHARGE: Quota(2, 1),
    Operation.CLOSE_CHARGE_PERMISSION: Quota(2, 1),
    Operation.CREATE_CHARGE: Quota(2, 1),
    Operation.CREATE_REFUND: Quota(2, 1),
    Operation.GET_CHARGE: Quota(5, 1),
    Operation.GET_CHARGE_PERMISSION: Quota(10, 1),
    Operation.GET_REFUND: Quota(5, 1),
    Operation.UPDATE_CHARGE_PERMISSION: Quota(5, 1),
}
UNLISTED_QUOTA = Quota(5, 1)
# Pace at 95 % of the restore rate. At exactly the quota Amazon's bucket hovers at zero, and a
# request that network jitter delivers a few milliseconds early is a 429 (measured: 4 % of
# 1,861 captures at 100 %; see bench/activation.py). The 5 % headroom absorbs that jitter.
HEADROOM = 0.95
QuotaSet = Literal["live", "sandbox"]


class TokenBucket:
    """One thread-safe token bucket on an injected clock."""

    def __init__(self, quota: Quota, clock: Clock) -> None:
        self.quota = quota
        self._clock = clock
        self._tokens = float(quota.burst)
        self._stamp = clock.monotonic()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take a token now; return how many seconds the caller must wait before using it."""
        with self._lock:
            now = self._clock.monotonic()
            rate = self.quota.per_second
            refill = (now - self._stamp) * rate
            self._tokens = min(float(self.quota.burst), self._tokens + refill)
            self._stamp = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / rate

    def acquire(self) -> None:
        """Wait until a token is available and take it."""
        wait = self.reserve()
        if wait > 0:
            self._clock.sleep(wait)


class Throttle:
    """Token buckets per operation; operations without a quota get `default`."""

    def __init__(
        self,
        quotas: Mapping[str, Quota],
        clock: Clock,
        default: Quota = UNLISTED_QUOTA,
        headroom: float = HEADROOM,
    ) -> None:
        self._headroom = headroom
        self._quotas = dict(quotas)
        self._default = default
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_quota_set(cls, quota_set: QuotaSet, clock: Clock) -> Throttle:
        """Buckets at Amazon's live or sandbox quotas."""
        if quota_set not in ("live", "sandbox"):
            raise ValueError(f"quota set must be 'live' or 'sandbox', got {quota_set!r}")
        return cls(LIVE_QUOTAS if quota_set == "live" else SANDBOX_QUOTAS, clock)

    def quota(self, operation: str) -> Quota:
        """The quota applied to an operation."""
        return self._quotas.get(operation, self._default)

    def bucket(self, operation: str) -> TokenBucket:
        """The (lazily created) bucket of an operation."""
        with self._lock:
            found = self._buckets.get(operation)
            if found is None:
                quota = self.quota(operation)
                paced = Quota(quota.burst, quota.per_second * self._headroom)
                found = self._buckets[operation] = TokenBucket(paced, self._clock)
            return found

    def acquire(self, operation: str) -> None:
        """Wait for a token of the operation's bucket."""
        self.bucket(operation).acquire()

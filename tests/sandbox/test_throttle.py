"""Throttling: per-operation token buckets on real time, answering 429 TooManyRequests."""

from __future__ import annotations

import time

import pytest

from sandbox.errors import ApiError
from sandbox.throttle import Throttle, TokenBucket
from tests.sandbox.conftest import Running


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_the_burst_then_refills_at_the_restore_rate():
    clock = FakeMonotonic()
    bucket = TokenBucket(burst=2, rate=1, monotonic=clock)
    assert [bucket.take(), bucket.take(), bucket.take()] == [True, True, False]
    clock.now += 0.5
    assert bucket.take() is False
    clock.now += 0.5
    assert bucket.take() is True
    clock.now += 60
    assert [bucket.take(), bucket.take(), bucket.take()] == [True, True, False]


def test_live_quotas_are_larger_than_sandbox_quotas():
    clock = FakeMonotonic()
    live, sandbox = Throttle("live", clock), Throttle("sandbox", clock)
    live_ok = sum(1 for _ in range(30) if _allowed(live, "Create Charge"))
    sandbox_ok = sum(1 for _ in range(30) if _allowed(sandbox, "Create Charge"))
    assert (live_ok, sandbox_ok) == (10, 2)
    assert all(_allowed(Throttle("off", clock), "Create Charge") for _ in range(100))


def _allowed(throttle: Throttle, operation: str) -> bool:
    try:
        throttle.check(operation)
    except ApiError as error:
        assert (error.status, error.reason_code) == (429, "TooManyRequests")
        return False
    return True


def test_sandbox_quota_answers_429_after_the_burst_and_recovers_in_real_time(start_sandbox):
    sandbox: Running = start_sandbox(quotas="sandbox")
    permission = sandbox.admin.checkout("100.00")
    answers = [sandbox.api.create_charge(permission, "1.00", sandbox.key()) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json()["reasonCode"] == "TooManyRequests"
    assert answers[2].headers["x-amz-pay-request-id"]
    # Other operations have their own buckets.
    assert sandbox.api.get(f"chargePermissions/{permission}").status_code == 200
    # Advancing the sandbox clock does not refill: the buckets run on real time.
    sandbox.admin.advance(seconds=3600)
    assert sandbox.api.create_charge(permission, "1.00", sandbox.key()).status_code == 429
    time.sleep(1.1)
    assert sandbox.api.create_charge(permission, "1.00", sandbox.key()).status_code == 201


def test_quotas_can_be_switched_off_through_admin(start_sandbox):
    sandbox: Running = start_sandbox(quotas="sandbox")
    switched = sandbox.admin.http.put("/_admin/throttle", json={"quotas": "off"}).json()
    assert switched == {"quotas": "off", "counts": {}, "allowedAt": {}}
    permission = sandbox.admin.checkout("100.00")
    statuses = {
        sandbox.api.create_charge(permission, "1.00", sandbox.key()).status_code for _ in range(5)
    }
    assert statuses == {201}


@pytest.mark.parametrize("mode", ["fast", ""])
def test_unknown_quota_mode_is_refused(mode):
    with pytest.raises(ValueError, match="quotas must be one of"):
        Throttle(mode)


def test_the_admin_api_counts_requests_let_through_and_throttled(start_sandbox):
    sandbox: Running = start_sandbox(quotas="sandbox")
    permission = sandbox.admin.checkout("100.00")
    statuses = [
        sandbox.api.create_charge(permission, "1.00", sandbox.key()).status_code for _ in range(4)
    ]
    counts = sandbox.admin.http.get("/_admin/throttle").json()["counts"]["Create Charge"]
    assert counts == {"allowed": statuses.count(201), "throttled": statuses.count(429)}
    assert counts["throttled"] >= 1

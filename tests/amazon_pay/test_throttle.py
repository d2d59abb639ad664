"""Client-side pacing: token buckets per operation at Amazon's live or sandbox quotas."""

from __future__ import annotations

import threading

import pytest

from adapters.amazon_pay import LIVE_QUOTAS, SANDBOX_QUOTAS, Operation, Quota, Throttle
from adapters.amazon_pay.throttle import HEADROOM, UNLISTED_QUOTA, TokenBucket
from domain.money import Money
from tests.amazon_pay.fakes import FakeClock, charge_json, json_response


def test_a_bucket_allows_its_burst_then_paces_at_the_restore_rate(clock) -> None:
    bucket = TokenBucket(Quota(burst=20, per_second=4), clock)
    for _ in range(20):
        bucket.acquire()
    assert clock.sleeps == []
    for _ in range(4):
        bucket.acquire()
    assert clock.sleeps == [0.25, 0.25, 0.25, 0.25]
    assert clock.monotonic() == pytest.approx(1.0)


def test_an_idle_bucket_refills_but_never_beyond_its_burst(clock) -> None:
    bucket = TokenBucket(Quota(burst=2, per_second=1), clock)
    bucket.acquire()
    bucket.acquire()
    clock.advance(60)
    waits = [bucket.reserve() for _ in range(3)]
    assert waits == [0.0, 0.0, 1.0]


def test_concurrent_callers_each_get_their_own_place_in_the_queue() -> None:
    clock = FakeClock()  # frozen: nobody sleeps here, each caller only reserves
    bucket = TokenBucket(Quota(burst=5, per_second=2), clock)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(10):
            wait = bucket.reserve()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 80 reservations: 5 free, then one every 0.5 s; a lost update would repeat a value.
    assert sorted(waits) == [0.0] * 5 + [n * 0.5 for n in range(1, 76)]


def test_the_quota_tables_are_amazons_published_ones() -> None:
    assert LIVE_QUOTAS[Operation.CAPTURE_CHARGE] == Quota(20, 4)
    assert LIVE_QUOTAS[Operation.CREATE_CHARGE] == Quota(10, 4)
    assert LIVE_QUOTAS[Operation.CANCEL_CHARGE] == Quota(10, 2)
    assert SANDBOX_QUOTAS[Operation.CAPTURE_CHARGE] == Quota(2, 1)
    assert SANDBOX_QUOTAS[Operation.GET_CHARGE_PERMISSION] == Quota(10, 1)
    assert Throttle(LIVE_QUOTAS, FakeClock()).quota(Operation.GET_REPORTS) == UNLISTED_QUOTA


def _capture_many(client, count: int) -> None:
    for n in range(count):
        client.capture_charge(
            f"S01-1234567-1234567-C{n:06d}",
            capture_amount=Money("1.00", "EUR"),
            idempotency_key=f"cap-{n}",
        )


def test_a_live_batch_of_captures_stays_under_amazons_limit(make_client, recorder, clock):
    recorder.respond = lambda request: json_response(200, charge_json(state="Captured"))
    _capture_many(make_client(public_key_id="LIVE-K1"), 28)
    # 20 at once, then 4 per second less the headroom that absorbs network jitter
    assert clock.sleeps == pytest.approx([1 / (4 * HEADROOM)] * 8)
    assert 0.9 <= HEADROOM < 1
    assert len(recorder.requests) == 28


def test_a_legacy_sandbox_key_is_paced_at_sandbox_quotas(make_client, recorder, clock) -> None:
    recorder.respond = lambda request: json_response(200, charge_json(state="Captured"))
    _capture_many(make_client(sandbox=True), 4)
    assert clock.sleeps == pytest.approx([1 / HEADROOM] * 2)  # 2 at once, then 1 per second


def test_live_quotas_can_be_forced_on_a_sandbox(make_client, recorder, clock) -> None:
    recorder.respond = lambda request: json_response(200, charge_json(state="Captured"))
    client = make_client(
        public_key_id="SANDBOX-K1", base_url="http://127.0.0.1:8123", quotas="live"
    )
    _capture_many(client, 21)
    assert clock.sleeps == pytest.approx([1 / (4 * HEADROOM)])


def test_an_explicit_quota_table_and_switching_pacing_off(make_client, recorder, clock) -> None:
    recorder.respond = lambda request: json_response(200, charge_json())
    client = make_client(quotas={Operation.GET_CHARGE: Quota(1, 10)})
    client.get_charge("C1")
    client.get_charge("C1")
    assert clock.sleeps == pytest.approx([1 / (10 * HEADROOM)])
    unpaced = make_client(throttle=False)
    for _ in range(30):
        unpaced.get_charge("C1")
    assert len(clock.sleeps) == 1


def test_buckets_are_per_operation(make_client, recorder, clock) -> None:
    recorder.respond = lambda request: json_response(200, charge_json())
    client = make_client(sandbox=True)
    for _ in range(5):
        client.get_charge("C1")  # sandbox Get Charge: 5 at once
    _capture_many(client, 2)  # sandbox Capture: its own 2
    assert clock.sleeps == []


def test_unknown_quota_set_and_impossible_quotas_are_refused() -> None:
    with pytest.raises(ValueError, match="'live' or 'sandbox'"):
        Throttle.for_quota_set("prod", FakeClock())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive rate"):
        Quota(5, 0)

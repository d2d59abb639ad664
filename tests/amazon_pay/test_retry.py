"""Retries: backoff with jitter, Retry-After honoured, re-signed each time, same idempotency key."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest

from adapters.amazon_pay import BadRequest, RetryPolicy, ServerError, Throttled
from adapters.amazon_pay.retry import parse_retry_after
from domain.money import Money
from tests.amazon_pay.fakes import START, charge_json, error_response, json_response
from tests.amazon_pay.fakes import verify_wire_request as verify

CAPTURE = {"capture_amount": Money("14.00", "EUR"), "idempotency_key": "inv-4711-capture-1"}


def test_503_503_200_makes_three_attempts_with_one_key_and_fresh_signatures(
    make_client, recorder, clock, key
) -> None:
    recorder.answers += [
        error_response(503, "ServiceUnavailable"),
        error_response(503, "ServiceUnavailable"),
        json_response(200, charge_json(state="Captured")),
    ]
    charge = make_client().capture_charge("S01-1234567-1234567-C000001", **CAPTURE)
    assert charge.state == "Captured"
    assert len(recorder.requests) == 3
    assert {r.headers["x-amz-pay-idempotency-key"] for r in recorder.requests} == {
        "inv-4711-capture-1"
    }
    dates = [r.headers["x-amz-pay-date"] for r in recorder.requests]
    assert dates == ["20240501T120000Z", "20240501T120001Z", "20240501T120003Z"]
    assert len({r.headers["authorization"] for r in recorder.requests}) == 3
    for request in recorder.requests:
        verify(request, key.public)  # each attempt is signed over its own date
    assert {r.content for r in recorder.requests} == {recorder.requests[0].content}
    assert clock.sleeps == [1.0, 2.0]


def test_400_is_not_retried(make_client, recorder, clock) -> None:
    recorder.answers.append(error_response(400, "InvalidParameterValue", "bad amount"))
    with pytest.raises(BadRequest):
        make_client().capture_charge("C1", **CAPTURE)
    assert len(recorder.requests) == 1 and clock.sleeps == []


def test_duplicate_idempotency_key_is_not_retried(make_client, recorder) -> None:
    recorder.answers.append(error_response(400, "DuplicateIdempotencyKey"))
    with pytest.raises(BadRequest):
        make_client().capture_charge("C1", **CAPTURE)
    assert len(recorder.requests) == 1


def test_retry_after_seconds_is_honoured_exactly(make_client, recorder, clock) -> None:
    recorder.answers += [
        error_response(429, "TooManyRequests", headers={"Retry-After": "7"}),
        json_response(200, charge_json()),
    ]
    make_client().get_charge("C1")
    assert clock.sleeps == [7.0]


def test_retry_after_http_date_is_honoured_against_the_clock(make_client, recorder, clock):
    when = format_datetime(START + timedelta(seconds=12), usegmt=True)
    recorder.answers += [
        error_response(503, "ServiceUnavailable", headers={"Retry-After": when}),
        json_response(200, charge_json()),
    ]
    make_client().get_charge("C1")
    assert clock.sleeps == [12.0]


def test_retry_after_is_capped_by_max_delay(make_client, recorder, clock) -> None:
    recorder.answers += [
        error_response(429, "TooManyRequests", headers={"Retry-After": "3600"}),
        json_response(200, charge_json()),
    ]
    make_client(retry=RetryPolicy(max_delay=30.0)).get_charge("C1")
    assert clock.sleeps == [30.0]


def test_connection_failures_are_retried_and_the_last_error_is_raised(
    make_client, recorder, clock
) -> None:
    recorder.answers += [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        error_response(502, "BadGateway"),
    ]
    with pytest.raises(ServerError) as caught:
        make_client().get_charge("C1")
    assert caught.value.status == 502
    assert len(recorder.requests) == 3 and clock.sleeps == [1.0, 2.0]


def test_throttled_answers_count_against_max_attempts(make_client, recorder) -> None:
    recorder.answers += [error_response(429, "TooManyRequests")] * 2
    with pytest.raises(Throttled):
        make_client(retry=RetryPolicy(max_attempts=2, base_delay=0.01)).get_charge("C1")
    assert len(recorder.requests) == 2


def test_backoff_doubles_is_capped_and_jitter_takes_off_up_to_half() -> None:
    error = ServerError(503, None, "")
    full = RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=lambda: 0.999999)
    half = RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=lambda: 0.0)
    assert [round(full.delay(n, error), 3) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [half.delay(n, error) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]


def test_default_jitter_stays_within_half_and_full_backoff() -> None:
    policy = RetryPolicy(base_delay=1.0)
    delays = {policy.delay(2, ServerError(503, None, "")) for _ in range(50)}
    assert all(1.0 <= d <= 2.0 for d in delays) and len(delays) > 1


@pytest.mark.parametrize("value", [None, "", "soon", "Wed, 99 Foo 2024 00:00:00 GMT"])
def test_unreadable_retry_after_falls_back_to_backoff(value) -> None:
    assert parse_retry_after(value, START) is None


def test_a_retry_after_date_in_the_past_means_no_wait() -> None:
    past = format_datetime(START - timedelta(minutes=1), usegmt=True)
    assert parse_retry_after(past, START) == 0.0


def test_a_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="max_attempts must be >= 1"):
        RetryPolicy(max_attempts=0)

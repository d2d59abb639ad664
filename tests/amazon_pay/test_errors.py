"""Error mapping: every answer or failure becomes the right class, carrying status, code and id."""

from __future__ import annotations

import httpx
import pytest

from adapters.amazon_pay import (
    AmazonPayError,
    ApiError,
    BadRequest,
    ConnectError,
    ConnectionDropped,
    Declined,
    DuplicateIdempotencyKey,
    InvalidSignature,
    NotFound,
    RetryPolicy,
    ServerError,
    StateError,
    Throttled,
    Timeout,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    is_retryable,
)
from adapters.amazon_pay.errors import ConfigurationError
from tests.amazon_pay.fakes import charge_json, error_response, json_response

ONCE = RetryPolicy(max_attempts=1)


@pytest.mark.parametrize(
    ("status", "reason", "cls"),
    [
        (400, "InvalidParameterValue", BadRequest),
        (400, "DuplicateIdempotencyKey", DuplicateIdempotencyKey),
        (401, "UnauthorizedAccess", Unauthorized),
        (403, "InvalidAccountStatus", Unauthorized),
        (401, "InvalidRequestSignature", InvalidSignature),
        (403, "InvalidRequestSignature", InvalidSignature),
        (404, "ResourceNotFound", NotFound),
        (422, "InvalidChargeStatus", StateError),
        (400, "TransactionAmountExceeded", StateError),
        (409, "SomethingNew", StateError),
        (422, "SoftDeclined", Declined),
        (400, "HardDeclined", Declined),
        (422, "AmazonRejected", Declined),
        (429, "TooManyRequests", Throttled),
        (400, "RequestThrottled", Throttled),
        (500, "InternalServerError", ServerError),
        (503, "ServiceUnavailable", ServerError),
        (405, "UnsupportedOperation", ApiError),
    ],
)
def test_error_answers_map_to_their_class_with_status_code_message_and_request_id(
    status, reason, cls, make_client, recorder
) -> None:
    recorder.answers.append(
        error_response(
            status, reason, "Something about\nthe charge.", {"x-amz-pay-request-id": "req-123"}
        )
    )
    with pytest.raises(cls) as caught:
        make_client(retry=ONCE).get_charge("S01-1234567-1234567-C000001")
    error = caught.value
    assert type(error) is cls
    assert (error.status, error.reason_code, error.request_id) == (status, reason, "req-123")
    assert error.message == "Something about\nthe charge."
    assert str(error) == (
        f"HTTP {status} {reason}: Something about the charge. (x-amz-pay-request-id req-123)"
    )


def test_soft_and_hard_declines_are_told_apart() -> None:
    assert Declined(422, "SoftDeclined", "").soft
    assert Declined(422, "ProcessingFailure", "").soft
    assert not Declined(422, "HardDeclined", "").soft


def test_an_error_status_without_json_keeps_a_bounded_one_line_message(make_client, recorder):
    recorder.answers.append(httpx.Response(502, text="<html>\n<b>Bad gateway</b>\n" + "x" * 500))
    with pytest.raises(ServerError) as caught:
        make_client(retry=ONCE).get_charge("C1")
    assert caught.value.reason_code is None and caught.value.request_id is None
    assert "\n" not in caught.value.message and len(caught.value.message) == 200
    assert caught.value.message.startswith("<html> <b>Bad gateway</b>")


@pytest.mark.parametrize(
    ("failure", "cls"),
    [
        (httpx.ConnectError("refused"), ConnectError),
        (httpx.ConnectTimeout("slow connect"), Timeout),
        (httpx.ReadTimeout("slow read"), Timeout),
        (httpx.RemoteProtocolError("peer closed connection"), ConnectionDropped),
        (httpx.ReadError("reset by peer"), ConnectionDropped),
        (httpx.UnsupportedProtocol("gopher"), TransportError),
    ],
)
def test_no_response_failures_are_transport_errors_not_api_errors(
    failure, cls, make_client, recorder
) -> None:
    recorder.answers.append(failure)
    with pytest.raises(cls) as caught:
        make_client(retry=ONCE).get_charge("C1")
    assert not isinstance(caught.value, ApiError)
    assert "Get Charge (GET /sandbox/v2/charges/C1)" in str(caught.value)


def test_a_success_that_is_not_json_or_not_a_charge_is_an_unexpected_response(
    make_client, recorder
) -> None:
    recorder.answers += [
        httpx.Response(200, text="<html>maintenance</html>"),
        json_response(
            200, charge_json() | {"chargeAmount": {"amount": "1.5", "currencyCode": "JPY"}}
        ),
        json_response(200, {"chargeId": "C1"}),
    ]
    client = make_client(retry=ONCE)
    with pytest.raises(UnexpectedResponse, match="answer is not JSON"):
        client.get_charge("C1")
    with pytest.raises(UnexpectedResponse, match="not a valid Charge: chargeAmount"):
        client.get_charge("C1")
    with pytest.raises(UnexpectedResponse, match="not a valid Charge: chargePermissionId"):
        client.get_charge("C1")


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (ApiError(408, None, ""), True),
        (ApiError(425, None, ""), True),
        (Throttled(429, "TooManyRequests", ""), True),
        (ServerError(500, None, ""), True),
        (ServerError(503, None, ""), True),
        (ApiError(599, None, ""), True),
        (BadRequest(400, None, ""), False),
        (Unauthorized(403, None, ""), False),
        (NotFound(404, None, ""), False),
        (Declined(422, "SoftDeclined", ""), False),
        (Throttled(400, "RequestThrottled", ""), False),
        (ConnectError("x"), True),
        (Timeout("x"), True),
        (ConnectionDropped("x"), True),
        (UnexpectedResponse("x"), False),
        (ConfigurationError("x"), False),
    ],
)
def test_one_rule_decides_retryable_by_status_or_missing_response(error, retryable) -> None:
    assert is_retryable(error) is retryable


def test_every_error_is_an_amazon_pay_error_and_configuration_errors_are_value_errors() -> None:
    assert issubclass(TransportError, AmazonPayError) and issubclass(ApiError, AmazonPayError)
    assert issubclass(ConfigurationError, ValueError)

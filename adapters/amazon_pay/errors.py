"""Errors of the Amazon Pay client.

    AmazonPayError
    ├── ConfigurationError        bad key or settings (also a ValueError), found before sending
    ├── TransportError            no response at all
    │   ├── ConnectError          could not connect
    │   ├── Timeout               connect, read, write or pool timeout
    │   └── ConnectionDropped     the connection broke mid-exchange
    ├── UnexpectedResponse        a success status whose body is not what the API documents
    └── ApiError                  Amazon answered with an error status (status, reason_code,
        │                         message, request_id, retry_after)
        ├── BadRequest            400
        │   └── DuplicateIdempotencyKey   same key, different request
        ├── Unauthorized          401/403 (UnauthorizedAccess, InvalidAccountStatus)
        │   └── InvalidSignature  InvalidRequestSignature
        ├── NotFound              404 / ResourceNotFound
        ├── StateError            409/422 and state codes (InvalidChargeStatus, Transaction...
        │   │                     ...AmountExceeded, ...): re-read the object and reconcile
        │   └── Declined          SoftDeclined, HardDeclined, AmazonRejected, ProcessingFailure,
        │                         TransactionTimedOut, PaymentMethodNotAllowed, MFANotCompleted
        ├── Throttled             429 / TooManyRequests, RequestThrottled
        └── ServerError           5xx

The class comes from the reason code when Amazon sends a known one (the statuses of several codes
are unverified, see amazon-pay-v2.md open question 1), otherwise from the HTTP status.
Whether to retry is decided in one place only, `is_retryable`: 408, 425, 429, 5xx and every
TransportError, whatever the class.
"""

from __future__ import annotations

import json

import httpx


class AmazonPayError(Exception):
    """Base class of everything the Amazon Pay client raises."""


class ConfigurationError(AmazonPayError, ValueError):
    """The client cannot be built or the call cannot be made as configured."""


class TransportError(AmazonPayError):
    """The request got no HTTP response."""


class ConnectError(TransportError):
    """The connection could not be established."""


class Timeout(TransportError):
    """A connect, read, write or pool timeout."""


class ConnectionDropped(TransportError):
    """The connection broke before a complete response arrived."""


class UnexpectedResponse(AmazonPayError):
    """A success response whose body does not have the documented shape."""


class ApiError(AmazonPayError):
    """Amazon answered with an error status."""

    def __init__(
        self,
        status: int,
        reason_code: str | None,
        message: str,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.reason_code = reason_code
        self.message = message
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(self.summary())

    def summary(self) -> str:
        """One line: status, reason code, message and request id."""
        message = " ".join(self.message.split()) or "(no message)"
        text = f"HTTP {self.status} {self.reason_code or 'error'}: {message}"
        return f"{text} (x-amz-pay-request-id {self.request_id})" if self.request_id else text


class BadRequest(ApiError):
    """400: the request is invalid as sent."""


class DuplicateIdempotencyKey(BadRequest):
    """The idempotency key was already used for a different request."""


class Unauthorized(ApiError):
    """401/403: not allowed (account, key or signature)."""


class InvalidSignature(Unauthorized):
    """Amazon could not verify the request signature."""


class NotFound(ApiError):
    """404: no such object."""


class StateError(ApiError):
    """The object's state or limits forbid the operation: re-read and reconcile."""


class Declined(StateError):
    """The payment was declined."""

    @property
    def soft(self) -> bool:
        """Worth another Create Charge once the Charge Permission is still Chargeable."""
        return self.reason_code in {"SoftDeclined", "ProcessingFailure"}


class Throttled(ApiError):
    """429: over Amazon's rate limit."""


class ServerError(ApiError):
    """5xx: Amazon failed."""


RETRYABLE_STATUSES = frozenset({408, 425, 429})

_BY_REASON: dict[str, type[ApiError]] = {
    "DuplicateIdempotencyKey": DuplicateIdempotencyKey,
    "InvalidRequestSignature": InvalidSignature,
    "UnauthorizedAccess": Unauthorized,
    "InvalidAccountStatus": Unauthorized,
    "ResourceNotFound": NotFound,
    "TooManyRequests": Throttled,
    "RequestThrottled": Throttled,
    **dict.fromkeys(
        (
            "SoftDeclined",
            "HardDeclined",
            "AmazonRejected",
            "ProcessingFailure",
            "TransactionTimedOut",
            "PaymentMethodNotAllowed",
            "MFANotCompleted",
        ),
        Declined,
    ),
    **dict.fromkeys(
        (
            "InvalidChargeStatus",
            "InvalidChargePermissionStatus",
            "InvalidCheckoutSessionStatus",
            "ChargePermissionNotModifiable",
            "TransactionAmountExceeded",
            "TransactionCountExceeded",
            "AmountMismatch",
        ),
        StateError,
    ),
}

_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    409: StateError,
    422: StateError,
    429: Throttled,
}


def is_retryable(error: AmazonPayError) -> bool:
    """Whether the same request may be sent again: 408, 425, 429, 5xx and no-response errors."""
    if isinstance(error, TransportError):
        return True
    if isinstance(error, ApiError):
        return error.status in RETRYABLE_STATUSES or error.status >= 500
    return False


def api_error_class(status: int, reason_code: str | None) -> type[ApiError]:
    """The ApiError subclass for a status and reason code (the code wins when known)."""
    if reason_code in _BY_REASON:
        return _BY_REASON[reason_code]
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)


def error_from_response(response: httpx.Response, retry_after: float | None = None) -> ApiError:
    """The ApiError for an error response, from its JSON `reasonCode`/`message` when present."""
    reason_code: str | None = None
    message = ""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        code, text = body.get("reasonCode"), body.get("message")
        reason_code = code if isinstance(code, str) and code else None
        message = text if isinstance(text, str) else ""
    elif response.content:
        message = " ".join(response.text.split())[:200]  # one line, bounded: not a dump
    cls = api_error_class(response.status_code, reason_code)
    return cls(
        response.status_code,
        reason_code,
        message,
        response.headers.get("x-amz-pay-request-id"),
        retry_after,
    )


def error_from_transport(exc: httpx.TransportError, what: str) -> TransportError:
    """The TransportError for an httpx transport failure of the request described by `what`."""
    cls: type[TransportError]
    if isinstance(exc, httpx.TimeoutException):
        cls = Timeout
    elif isinstance(exc, httpx.ConnectError):
        cls = ConnectError
    elif isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        cls = ConnectionDropped
    else:
        cls = TransportError
    return cls(f"{what}: {type(exc).__name__}: {exc}")

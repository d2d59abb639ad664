"""Error answers of the sandbox: `{"reasonCode": ..., "message": ...}` with a status per code.

Statuses follow amazon-pay-v2.md §4.2 where the docs give one (400 for request problems, 401 for
authentication); where they do not, the sandbox decides (marked "decided"):

    400  InvalidHeaderValue InvalidRequest InvalidParameterValue InvalidRequestFormat
         MissingHeader MissingHeaderValue MissingParameterValue UnrecognizedField
         InvalidSandboxSimulationSpecified DuplicateIdempotencyKey InvalidParameterCombination
         CurrencyMismatch
    401  InvalidRequestSignature (decided: 401, not 403) UnauthorizedAccess
    404  ResourceNotFound                 405  UnsupportedOperation
    422  (decided) every business-rule refusal: InvalidChargeStatus InvalidChargePermissionStatus
         ChargePermissionNotModifiable TransactionAmountExceeded TransactionCountExceeded and the
         decline codes SoftDeclined HardDeclined AmazonRejected ProcessingFailure
         TransactionTimedOut
    429  TooManyRequests                  500  InternalServerError    503  ServiceUnavailable
"""

from __future__ import annotations

STATUS_BY_CODE: dict[str, int] = {
    "InvalidHeaderValue": 400,
    "InvalidRequest": 400,
    "InvalidParameterValue": 400,
    "InvalidRequestFormat": 400,
    "MissingHeader": 400,
    "MissingHeaderValue": 400,
    "MissingParameterValue": 400,
    "UnrecognizedField": 400,
    "InvalidSandboxSimulationSpecified": 400,
    "DuplicateIdempotencyKey": 400,
    "InvalidParameterCombination": 400,
    "CurrencyMismatch": 400,
    "InvalidRequestSignature": 401,
    "UnauthorizedAccess": 401,
    "ResourceNotFound": 404,
    "UnsupportedOperation": 405,
    "InvalidChargeStatus": 422,
    "InvalidChargePermissionStatus": 422,
    "ChargePermissionNotModifiable": 422,
    "TransactionAmountExceeded": 422,
    "TransactionCountExceeded": 422,
    "SoftDeclined": 422,
    "HardDeclined": 422,
    "AmazonRejected": 422,
    "ProcessingFailure": 422,
    "TransactionTimedOut": 422,
    "TooManyRequests": 429,
    "InternalServerError": 500,
    "ServiceUnavailable": 503,
}


class ApiError(Exception):
    """An error answer: HTTP status, Amazon reason code and a one-line message."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(f"{reason_code}: {message}")
        self.reason_code = reason_code
        self.message = message
        self.status = STATUS_BY_CODE[reason_code]

    def body(self) -> dict[str, str]:
        """The JSON error body Amazon sends."""
        return {"reasonCode": self.reason_code, "message": self.message}

"""The order processes' port to Amazon: recorded calls sent exactly as recorded, and reads.

`send` repeats a recorded call byte for byte (the same body, the same idempotency key), so a
repeat after a crash gets the object Amazon made the first time. A refusal (any error status
that retrying cannot change, other than bad credentials) is returned as the answer it is; no
answer at all (no response, throttled or 5xx after the client's retries, bad credentials) is
raised, and the call stays open to be repeated.
"""

from __future__ import annotations

from pydantic import BaseModel

from adapters.amazon_pay.client import AmazonPayClient
from adapters.amazon_pay.errors import AmazonPayError, ApiError, Unauthorized, is_retryable
from adapters.amazon_pay.models import Charge, ChargePermission, Refund
from domain.amazon_calls import Call, money_of

Reply = BaseModel | ApiError


def is_refusal(problem: AmazonPayError) -> bool:
    """An answer that settles the call (Amazon said no), as opposed to no answer at all."""
    return (
        isinstance(problem, ApiError)
        and not is_retryable(problem)
        and not isinstance(problem, Unauthorized)
    )


def reason_of(refusal: ApiError) -> str:
    """Amazon's reason code and message, for the document's status reason."""
    return f"Amazon: {refusal.reason_code or refusal.status}: {refusal.message}"


class AmazonGateway:
    """Sends recorded calls and reads Amazon's objects through one client."""

    def __init__(self, amazon: AmazonPayClient) -> None:
        self.amazon = amazon

    def send(self, call: Call) -> Reply:
        """Send the call exactly as recorded; a refusal is returned, no answer is raised."""
        try:
            return self._send(call)
        except ApiError as problem:
            if is_refusal(problem):
                return problem
            raise

    def charge(self, charge_id: str) -> Charge:
        return self.amazon.get_charge(charge_id)

    def refund(self, refund_id: str) -> Refund:
        return self.amazon.get_refund(refund_id)

    def permission(self, permission_id: str) -> ChargePermission:
        return self.amazon.get_charge_permission(permission_id)

    def _send(self, call: Call) -> BaseModel:
        r, key, amazon = call.request, str(call.key), self.amazon
        if call.operation == "create_charge":
            return amazon.create_charge(
                charge_permission_id=r["chargePermissionId"],
                charge_amount=money_of(r["chargeAmount"]),
                idempotency_key=key,
                can_handle_pending_authorization=r["canHandlePendingAuthorization"],
            )
        if call.operation == "capture_charge":
            return amazon.capture_charge(
                r["chargeId"], capture_amount=money_of(r["captureAmount"]), idempotency_key=key
            )
        if call.operation == "create_refund":
            return amazon.create_refund(
                charge_id=r["chargeId"],
                refund_amount=money_of(r["refundAmount"]),
                idempotency_key=key,
            )
        if call.operation == "cancel_charge":
            return amazon.cancel_charge(r["chargeId"], cancellation_reason=r["cancellationReason"])
        if call.operation == "close_charge_permission":
            return amazon.close_charge_permission(
                r["chargePermissionId"],
                closure_reason=r["closureReason"],
                cancel_pending_charges=r["cancelPendingCharges"],
            )
        raise ValueError(f"unknown Amazon operation {call.operation!r}")

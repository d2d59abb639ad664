"""Amazon's mutating calls through the call journal: recorded with their key before they are sent.

`begin` commits the call record (the one commit before a mutating call); `send` sends exactly
what was recorded, so a repeat after a crash carries the same body and the same idempotency key
and Amazon answers with the object it made the first time; `close` marks the call applied in the
caller's outcome transaction, beside the document's change. A call that got no answer (no
response, throttled or 5xx after the client's retries, bad credentials) stays open and is
repeated by the next run or sweep; a refusal (any other error status) is an answer like any other.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine

from adapters.amazon_pay import AmazonPayClient, AmazonPayError, ApiError, Unauthorized
from adapters.amazon_pay.errors import is_retryable
from adapters.amazon_pay.models import price_json
from adapters.erp import calls
from adapters.erp.calls import Call
from adapters.erp.store import UnitOfWork
from domain.money import Money

Reply = BaseModel | ApiError


def create_charge_request(permission_id: str, amount: Money) -> dict[str, Any]:
    return {
        "chargePermissionId": permission_id,
        "chargeAmount": price_json(amount),
        "canHandlePendingAuthorization": True,
    }


def capture_request(charge_id: str, amount: Money) -> dict[str, Any]:
    return {"chargeId": charge_id, "captureAmount": price_json(amount)}


def refund_request(charge_id: str, amount: Money) -> dict[str, Any]:
    return {"chargeId": charge_id, "refundAmount": price_json(amount)}


def cancel_request(charge_id: str, reason: str) -> dict[str, Any]:
    return {"chargeId": charge_id, "cancellationReason": reason}


def close_request(permission_id: str, reason: str) -> dict[str, Any]:
    return {
        "chargePermissionId": permission_id,
        "closureReason": reason,
        "cancelPendingCharges": True,
    }


def _money(price: dict[str, str]) -> Money:
    return Money(price["amount"], price["currencyCode"])


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
    """Records, sends and closes the mutating calls of documents."""

    def __init__(self, engine: Engine, amazon: AmazonPayClient) -> None:
        self.engine = engine
        self.amazon = amazon

    def open_calls(self, number: str) -> list[Call]:
        """The document's calls whose outcome is not applied, oldest first."""
        with UnitOfWork(self.engine) as uow:
            document_id = uow.documents.id_of(number)
            return calls.open_calls(uow.session, document_id)

    def begin(self, number: str, operation: str, request: dict[str, Any]) -> Call:
        """Record a call before it is sent (committed); an open call of the operation is reused."""
        with UnitOfWork(self.engine) as uow:
            document_id = uow.documents.id_of(number, lock=True)
            for call in calls.open_calls(uow.session, document_id):
                if call.operation == operation:
                    return call
            call = calls.start(uow.session, document_id, number, operation, request)
            uow.commit()
        return call

    def send(self, call: Call) -> Reply:
        """Send the call exactly as recorded; a refusal is returned, no answer is raised."""
        try:
            return self._send(call)
        except AmazonPayError as problem:
            if is_refusal(problem):
                assert isinstance(problem, ApiError)
                return problem
            with UnitOfWork(self.engine) as uow:
                error = f"{type(problem).__name__}: {problem}"
                calls.answer(uow.session, call.id, None, None, error, applied=False)
                uow.commit()
            raise

    def close(self, uow: UnitOfWork, call: Call, reply: Reply) -> None:
        """Store the answer and mark the call applied, in the caller's outcome transaction."""
        if isinstance(reply, ApiError):
            response = {"reasonCode": reply.reason_code, "message": reply.message}
            calls.answer(uow.session, call.id, response, reply.status, str(reply), applied=True)
        else:
            response = reply.model_dump(mode="json", by_alias=True)
            calls.answer(uow.session, call.id, response, 200, None, applied=True)

    def log_read(
        self, uow: UnitOfWork, document_id: int | None, operation: str, found: BaseModel
    ) -> None:
        """Log a read in the transaction that applies what it found."""
        request = {"id": getattr(found, "charge_id", None) or getattr(found, "refund_id", None)}
        response = found.model_dump(mode="json", by_alias=True)
        calls.log_read(uow.session, document_id, operation, request, response)

    def _send(self, call: Call) -> BaseModel:
        r, key, amazon = call.request, str(call.key), self.amazon
        if call.operation == "create_charge":
            return amazon.create_charge(
                charge_permission_id=r["chargePermissionId"],
                charge_amount=_money(r["chargeAmount"]),
                idempotency_key=key,
                can_handle_pending_authorization=r["canHandlePendingAuthorization"],
            )
        if call.operation == "capture_charge":
            return amazon.capture_charge(
                r["chargeId"], capture_amount=_money(r["captureAmount"]), idempotency_key=key
            )
        if call.operation == "create_refund":
            return amazon.create_refund(
                charge_id=r["chargeId"],
                refund_amount=_money(r["refundAmount"]),
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

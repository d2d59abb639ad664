"""Amazon's mutating calls for one document: record, send, then apply the answer in one go.

Each call has one finishing function. It sends the recorded call and, in a single transaction,
stores Amazon's answer, the Amazon object it names, the document's change and its history line,
and marks the call applied. There is no commit between "Amazon answered" and "the document shows
it", and a run that died before that transaction leaves the call open: `heal` finishes it with
the same request and key, so Amazon answers with the object it made the first time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from adapters.amazon_pay import ApiError, Charge, Refund, StateError
from adapters.erp.calls import Call
from adapters.erp.store import UnitOfWork
from domain.amazon_answers import Answer
from domain.documents import Document
from domain.money import Money
from domain.payment_status import Event, Status
from tasks.amazon_gateway import (
    cancel_request,
    capture_request,
    close_request,
    create_charge_request,
    reason_of,
    refund_request,
)

if TYPE_CHECKING:
    from tasks.order_steps import OrderSteps

ORDER_CANCELLED = "order cancelled"
LIVE_CHARGE = (None, "AuthorizationInitiated", "Authorized")
TOTAL_RAISED = "total raised"


class StepRefused(ValueError):
    """A request the document cannot fulfil; the message says why, for the back office."""


def heal(steps: OrderSteps, number: str) -> None:
    """Finish every call of the document whose outcome was never applied, oldest first."""
    for call in steps.gateway.open_calls(number):
        finish(steps, call)


def finish(steps: OrderSteps, call: Call) -> Status:
    """Send a recorded call and apply its answer; the status of the document it changed."""
    return FINISHERS[call.operation](steps, call)


def create_charge(steps: OrderSteps, document: Document) -> Status:
    """Authorize the document's gross total on its charge permission."""
    request = create_charge_request(str(document.charge_permission_id), document.gross_total)
    return finish(steps, steps.gateway.begin(document.number, "create_charge", request))


def capture(steps: OrderSteps, number: str, charge_id: str, amount: Money) -> Status:
    return finish(
        steps, steps.gateway.begin(number, "capture_charge", capture_request(charge_id, amount))
    )


def create_refund(steps: OrderSteps, note_number: str, charge_id: str, amount: Money) -> Status:
    return finish(
        steps, steps.gateway.begin(note_number, "create_refund", refund_request(charge_id, amount))
    )


def cancel_charge(steps: OrderSteps, number: str, charge_id: str, reason: str) -> Status:
    """Cancel one charge; for a raised total the document must then be re-authorized."""
    return finish(
        steps, steps.gateway.begin(number, "cancel_charge", cancel_request(charge_id, reason))
    )


def begin_close(steps: OrderSteps, number: str, permission_id: str) -> Call:
    """Record the intent to close the permission (and so cancel the order) before anything else."""
    return steps.gateway.begin(
        number, "close_charge_permission", close_request(permission_id, ORDER_CANCELLED)
    )


def _finish_create_charge(steps: OrderSteps, call: Call) -> Status:
    reply = steps.gateway.send(call)
    with UnitOfWork(steps.engine) as uow:
        if isinstance(reply, ApiError):  # declined or refused outright: the document fails
            answer = Answer(Event.DECLINED, reason=reason_of(reply))
            status = steps.apply_in(uow, call.number, answer)
        else:
            assert isinstance(reply, Charge)
            status = steps.apply_charge_in(uow, call.number, reply)
        steps.gateway.close(uow, call, reply)
        uow.commit()
    return status


def _finish_charge_change(steps: OrderSteps, call: Call) -> Status:
    """Capture or cancel: on a state conflict the charge as Amazon has it is the answer."""
    reply = steps.gateway.send(call)
    charge_id = call.request["chargeId"]
    charge = steps.amazon.get_charge(charge_id) if isinstance(reply, StateError) else reply
    with UnitOfWork(steps.engine) as uow:
        steps.gateway.close(uow, call, reply)
        if not isinstance(charge, Charge):
            assert isinstance(reply, ApiError)
            uow.commit()
            raise StepRefused(f"{call.number}: Amazon refused {call.operation}: {reason_of(reply)}")
        status = steps.apply_charge_in(uow, call.number, charge)
        raised = call.request.get("cancellationReason") == TOTAL_RAISED
        if (
            raised
            and charge.state == "Canceled"
            and status
            in (
                Status.ACCEPTED,
                Status.ACTIVATION_REQUESTED,
            )
        ):
            # A higher total needs a new authorization (a lower one simply captures less).
            status = steps.apply_in(
                uow, call.number, Answer(Event.AUTHORIZATION_EXPIRED, reason=TOTAL_RAISED)
            )
        uow.commit()
    return status


def _finish_create_refund(steps: OrderSteps, call: Call) -> Status:
    reply = steps.gateway.send(call)
    with UnitOfWork(steps.engine) as uow:
        steps.gateway.close(uow, call, reply)
        if isinstance(reply, ApiError):
            uow.commit()
            raise StepRefused(f"{call.number}: Amazon refused the refund: {reason_of(reply)}")
        assert isinstance(reply, Refund)
        status = steps.apply_refund_in(uow, call.number, reply)
        uow.commit()
    return status


def _finish_close(steps: OrderSteps, call: Call) -> Status:
    """Close the permission (cancelling its pending charges); then the order is cancelled.

    The charges the closing cancelled are read back, so the store shows them as Amazon does.
    """
    reply = steps.gateway.send(call)
    closed = not isinstance(reply, ApiError)
    if isinstance(reply, StateError):  # closed already? Only Amazon's own word counts.
        permission = steps.amazon.get_charge_permission(call.request["chargePermissionId"])
        closed = permission.state == "Closed"
    live = [ref.amazon_id for ref in steps.charges(call.number) if ref.state in LIVE_CHARGE]
    charges = [steps.amazon.get_charge(charge_id) for charge_id in live] if closed else []
    with UnitOfWork(steps.engine) as uow:
        steps.gateway.close(uow, call, reply)
        if not closed:
            assert isinstance(reply, ApiError)
            uow.commit()
            raise StepRefused(f"{call.number} cannot be cancelled: {reason_of(reply)}")
        for charge in charges:
            steps.gateway.log_read(uow, call.document_id, "get_charge", charge)
            steps.apply_charge_in(uow, call.number, charge)
        status = steps.status_in(uow, call.number)
        if status is not Status.CANCELLED:
            cancelled = Answer(Event.CANCELLED, reason=ORDER_CANCELLED)
            status = steps.apply_in(uow, call.number, cancelled)
        uow.commit()
    return status


FINISHERS: dict[str, Callable[[OrderSteps, Call], Status]] = {
    "create_charge": _finish_create_charge,
    "capture_charge": _finish_charge_change,
    "cancel_charge": _finish_charge_change,
    "create_refund": _finish_create_refund,
    "close_charge_permission": _finish_close,
}

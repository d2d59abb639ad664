"""Amazon's mutating calls for one document: record, send, then apply the answer in one go.

`begin` commits the call record: the one commit before a mutating call. Each operation has one
finishing function: it sends the recorded call and, in a single transaction, stores Amazon's
answer, the Amazon object it names, the document's change and its history line, and marks the
call applied. There is no commit between "Amazon answered" and "the document shows it". A run
that died before that transaction leaves the call open: `heal` finishes it with the same request
and key, so Amazon answers with the object it made the first time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from adapters.amazon_pay import AmazonPayError, ApiError, Charge, Refund, StateError
from adapters.amazon_pay.gateway import Reply, reason_of
from adapters.erp.store import UnitOfWork
from domain.amazon_answers import Answer, ChargeState
from domain.amazon_calls import ORDER_CANCELLED, TOTAL_RAISED, Call
from domain.next_step import LIVE_CHARGE
from domain.payment_status import Event, Status
from services.applying import apply_answer, apply_charge, apply_event, apply_refund, status_of
from services.outcomes import Refused
from services.resources import Resources


def finish(res: Resources, call: Call) -> Status:
    """Send a recorded call and apply its answer; the status of the document it changed."""
    return FINISHERS[call.operation](res, call)


def begin(res: Resources, number: str, operation: str, request: dict[str, Any]) -> Call:
    """Record a call before it is sent (committed); an open call of the operation is reused."""
    with res.uow() as uow:
        document_id = _id_of(uow, number, lock=True)
        for call in uow.calls.open_calls(document_id):
            if call.operation == operation:
                return call
        call = uow.calls.start(document_id, number, operation, request)
        uow.commit()
    return call


def send(res: Resources, call: Call) -> Reply:
    """Send a recorded call; no answer at all is noted on the call, which stays open."""
    try:
        return res.gateway.send(call)
    except AmazonPayError as problem:
        with res.uow() as uow:
            error = f"{type(problem).__name__}: {problem}"
            uow.calls.answer(call.id, None, None, error, applied=False)
            uow.commit()
        raise


def close(uow: UnitOfWork, call: Call, reply: Reply) -> None:
    """Store the answer and mark the call applied, in the outcome's transaction."""
    if isinstance(reply, ApiError):
        response = {"reasonCode": reply.reason_code, "message": reply.message}
        uow.calls.answer(call.id, response, reply.status, str(reply), applied=True)
    else:
        uow.calls.answer(call.id, _json(reply), 200, None, applied=True)


def log_read(uow: UnitOfWork, number: str, operation: str, found: BaseModel) -> None:
    """Log a read (Get Charge, Get Refund) in the transaction that applies what it found."""
    request = {"id": getattr(found, "charge_id", None) or getattr(found, "refund_id", None)}
    uow.calls.log_read(_id_of(uow, number), operation, request, _json(found))


def _finish_create_charge(res: Resources, call: Call) -> Status:
    reply = send(res, call)
    with res.uow() as uow:
        if isinstance(reply, ApiError):  # declined or refused outright: the document fails
            status = apply_answer(uow, call.number, Answer(Event.DECLINED, reason=reason_of(reply)))
        else:
            assert isinstance(reply, Charge)
            status = apply_charge(uow, call.number, reply)
        close(uow, call, reply)
        uow.commit()
    return status


def _finish_charge_change(res: Resources, call: Call) -> Status:
    """Capture or cancel: on a state conflict the charge as Amazon has it is the answer."""
    reply = send(res, call)
    charge_id = call.request["chargeId"]
    charge = res.gateway.charge(charge_id) if isinstance(reply, StateError) else reply
    with res.uow() as uow:
        close(uow, call, reply)
        if not isinstance(charge, Charge):
            assert isinstance(reply, ApiError)
            uow.commit()
            raise Refused(f"{call.number}: Amazon refused {call.operation}: {reason_of(reply)}")
        status = apply_charge(uow, call.number, charge)
        raised = call.request.get("cancellationReason") == TOTAL_RAISED
        holds = status in (Status.ACCEPTED, Status.ACTIVATION_REQUESTED)
        if raised and charge.state == ChargeState.CANCELED and holds:
            # A higher total needs a new authorization (a lower one simply captures less).
            status = apply_event(uow, call.number, Event.AUTHORIZATION_EXPIRED, TOTAL_RAISED)
        uow.commit()
    return status


def _finish_create_refund(res: Resources, call: Call) -> Status:
    reply = send(res, call)
    with res.uow() as uow:
        close(uow, call, reply)
        if isinstance(reply, ApiError):
            uow.commit()
            raise Refused(f"{call.number}: Amazon refused the refund: {reason_of(reply)}")
        assert isinstance(reply, Refund)
        status = apply_refund(uow, call.number, reply)
        uow.commit()
    return status


def _finish_close(res: Resources, call: Call) -> Status:
    """Close the permission (cancelling its pending charges); then the order is cancelled.

    The charges the closing cancelled are read back, so the store shows them as Amazon does.
    """
    reply = send(res, call)
    closed = not isinstance(reply, ApiError)
    if isinstance(reply, StateError):  # closed already? Only Amazon's own word counts.
        closed = res.gateway.permission(call.request["chargePermissionId"]).state == "Closed"
    with res.uow() as uow:
        live = [
            r.amazon_id for r in uow.refs.refs(call.document_id, "charge") if r.state in LIVE_CHARGE
        ]
    charges = [res.gateway.charge(charge_id) for charge_id in live] if closed else []
    with res.uow() as uow:
        close(uow, call, reply)
        if not closed:
            assert isinstance(reply, ApiError)
            uow.commit()
            raise Refused(f"{call.number} cannot be cancelled: {reason_of(reply)}")
        for charge in charges:
            log_read(uow, call.number, "get_charge", charge)
            apply_charge(uow, call.number, charge)
        status = status_of(uow, call.number)
        if status is not Status.CANCELLED:
            status = apply_event(uow, call.number, Event.CANCELLED, ORDER_CANCELLED)
        uow.commit()
    return status


def _id_of(uow: UnitOfWork, number: str, lock: bool = False) -> int:
    try:
        return uow.documents.id_of(number, lock=lock)
    except KeyError:
        raise Refused(f"no document {number}") from None


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


FINISHERS: dict[str, Callable[[Resources, Call], Status]] = {
    "create_charge": _finish_create_charge,
    "capture_charge": _finish_charge_change,
    "cancel_charge": _finish_charge_change,
    "create_refund": _finish_create_refund,
    "close_charge_permission": _finish_close,
}

"""Applying what Amazon says to a document, inside the caller's transaction (no commit here).

The object's state is stored first (its conditional update takes the row's write lock, so of
two processes applying the same state only one sees it move), then the document is locked and
the event the domain derives from the state is applied with its history line.
"""

from __future__ import annotations

from dataclasses import replace

from adapters.amazon_pay import Charge, Refund
from adapters.erp.store import UnitOfWork
from domain.amazon_answers import Answer, charge_answer, refund_answer
from domain.money import Money
from domain.payment_status import Event, Status
from services.outcomes import Refused


def status_of(uow: UnitOfWork, number: str, lock: bool = False) -> Status:
    """The document's payment status; `lock` holds its row until the transaction ends."""
    document = uow.documents.get(number, lock=lock)
    if document is None:
        raise Refused(f"no document {number}")
    return document.payment.status


def apply_answer(
    uow: UnitOfWork, number: str, answer: Answer, record_refusal: bool = True
) -> Status:
    """Apply an answer to the document under a row lock, with its history line.

    Args:
        record_refusal: record an answer the table refuses (a late answer); False for a
            re-read of a state Amazon already had, which is no news.
    """
    document = uow.documents.get(number, lock=True)
    if document is None:
        raise Refused(f"no document {number}")
    if answer.event is None:
        return document.payment.status
    document.payment, transition = document.payment.apply(answer.event, answer.amount)
    if not transition.applied and not record_refusal:
        return document.payment.status
    if answer.reason and transition.applied:
        transition = replace(transition, reason=answer.reason)
    uow.documents.save_payment(number, document, transition)
    return document.payment.status


def apply_event(uow: UnitOfWork, number: str, event: Event, reason: str = "") -> Status:
    """Apply one of our own events (a command or an observation) to the document."""
    return apply_answer(uow, number, Answer(event, reason=reason))


def apply_charge(uow: UnitOfWork, number: str, charge: Charge) -> Status:
    """Store a charge's state and apply what it means to the document.

    A state that did not move is applied all the same when the document is behind it (a
    run died between the two); the transition table keeps that from acting twice. A charge
    the document has renewed since is only stored (`charge_answer`'s `superseded`).
    """
    document_id = uow.documents.id_of(number)
    moved = uow.refs.record_state(
        document_id,
        "charge",
        charge.charge_id,
        charge.state,
        charge.charge_amount.to_minor(),
        charge.charge_amount.currency,
    )
    # Locked first, so that a renewal committing meanwhile is seen whole: its status and its
    # charge, or neither (then the lapse read while renewing decides nothing either).
    status = status_of(uow, number, lock=True)
    latest = uow.refs.refs(document_id, "charge")[-1]  # the one just stored, or a newer one
    answer = charge_answer(
        status,
        charge.state,
        charge.status_details.reason_code,
        charge.capture_amount,
        superseded=latest.amazon_id != charge.charge_id,
    )
    return apply_answer(uow, number, answer, record_refusal=moved)


def apply_refund(uow: UnitOfWork, note_number: str, refund: Refund) -> Status:
    """Store a refund's state on its credit note; what Amazon refunded reaches the order.

    The order's refunded amount is brought up to the sum of its Refunded refunds, so a refund
    that is Refunded in the store but not on the order (a run died) is applied too, and one
    that was applied is never applied again. Returns the order's status.
    """
    note = uow.documents.get(note_number)
    if note is None or not note.refers_to:
        raise Refused(f"credit note {note_number} refers to no order")
    moved = uow.refs.record_state(
        uow.documents.id_of(note_number),
        "refund",
        refund.refund_id,
        refund.state,
        refund.refund_amount.to_minor(),
        refund.refund_amount.currency,
    )
    answer = refund_answer(refund.state, refund.status_details.reason_code, refund.refund_amount)
    order = uow.documents.get(note.refers_to, lock=True)
    if order is None:
        raise Refused(f"credit note {note_number} refers to no order")
    behind = uow.refs.refunded_minor(order.number) - order.payment.refunded.to_minor()
    if answer.event is None or behind <= 0:
        return order.payment.status
    amount = Money.from_minor(behind, order.currency)
    return apply_answer(uow, order.number, replace(answer, amount=amount), moved)

"""Refunds: a credit note from the returns function becomes a (partial) refund at Amazon."""

from __future__ import annotations

from domain.documents import DocumentType
from domain.payment_status import IllegalTransition, Status
from services import calls
from services.outcomes import Outcome, Refused, outcome_of
from services.reconcile import reconcile_refund
from services.resources import Resources


def refund(res: Resources, credit_note: str) -> Outcome:
    """Refund a credit note against its order's capture; the outcome carries the order's status."""
    with res.uow() as uow:
        note = uow.documents.get(credit_note)
    order = note.refers_to if note is not None and note.refers_to else ""
    return outcome_of(res, credit_note, lambda: _refund(res, credit_note), reported=order)


def _refund(res: Resources, note_number: str) -> Status:
    calls.heal(res, note_number)
    with res.uow() as uow:
        note = uow.documents.get(note_number)
        if note is None or note.doc_type is not DocumentType.CREDIT_NOTE or not note.refers_to:
            raise Refused(f"{note_number} is not a credit note of an order")
        order = uow.documents.get(note.refers_to)
        if order is None:
            raise Refused(f"{note_number} refers to {note.refers_to}, which is not in the store")
        existing = uow.refs.refs(uow.documents.id_of(note_number), "refund")
        charges = uow.refs.refs(uow.documents.id_of(order.number), "charge")
    if existing:
        return reconcile_refund(res, existing[-1].amazon_id)
    if not res.settings.report_returns:
        raise Refused(
            f"{note_number}: reporting returns to Amazon is switched off "
            "(AMAZON_PAYMENTS_REPORT_RETURNS=false)"
        )
    amount = note.gross_total
    try:
        order.payment.check_refund(amount)
    except IllegalTransition as problem:
        raise Refused(f"{note_number} cannot be refunded: {problem}") from None
    captured = [ref for ref in charges if ref.state == "Captured"]
    if not captured:
        raise Refused(f"{order.number} has no captured charge to refund")
    return calls.create_refund(res, note_number, captured[-1].amazon_id, amount)

"""Activation (capture), refunds and cancellation of one document, on top of `OrderSteps`.

Each action first finishes the document's calls that a dead run left open (`OrderSteps.heal`),
then decides from the document as it now is.
"""

from __future__ import annotations

from adapters.erp import amazon_log
from adapters.erp.store import UnitOfWork
from domain.documents import Document, DocumentType
from domain.payment_status import CANCELLABLE, Event, IllegalTransition, Status
from tasks import order_calls
from tasks.order_calls import LIVE_CHARGE, ORDER_CANCELLED, TOTAL_RAISED, StepRefused
from tasks.order_steps import OrderSteps

SINGLE_ITEMS_REFUSED = (
    "cancelling single items is not possible through Amazon Pay: "
    "it needs manual action in Seller Central"
)


def activate(steps: OrderSteps, number: str) -> Status:
    """Capture the document's current gross total (the shipment confirmation)."""
    status = steps.heal(number)
    if status is Status.ACTIVATED:
        return status  # a re-run after the capture was applied: nothing more to do
    if status is Status.ACCEPTED:
        if not steps.settings.report_shipment:
            raise StepRefused(
                f"{number}: reporting shipments to Amazon is switched off "
                "(AMAZON_PAYMENTS_REPORT_SHIPMENT=false)"
            )
        status = steps.apply(number, Event.ACTIVATION_REQUESTED)
    elif status not in (
        Status.ACTIVATION_REQUESTED,
        Status.REAUTHORIZATION,
        Status.CAPTURE_PENDING,
    ):
        raise StepRefused(
            f"{number} cannot be activated: its payment status is {status.value}; "
            "only accepted documents can be activated"
        )
    if status is Status.CAPTURE_PENDING:
        return steps.reconcile_latest_charge(number)
    status = _hold_authorization(steps, steps.document(number), status)
    if status is not Status.ACTIVATION_REQUESTED:
        return status
    document = steps.document(number)
    charge_id = steps.charges(number)[-1].amazon_id
    return order_calls.capture(steps, number, charge_id, document.gross_total)


def reauthorize(steps: OrderSteps, number: str) -> Status:
    """Renew a lapsed authorization; a shipment requested before it lapsed is then captured."""
    status = steps.authorize(number)
    with UnitOfWork(steps.engine) as uow:
        resume = amazon_log.activation_outstanding(uow.session, uow.documents.id_of(number))
    if status is Status.ACCEPTED and resume:
        return activate(steps, number)
    return status


def _hold_authorization(steps: OrderSteps, document: Document, status: Status) -> Status:
    """Make sure an Authorized charge covers the total; re-authorize when it lapsed or is short."""
    number = document.number
    if status is Status.ACTIVATION_REQUESTED:
        status = steps.reconcile_latest_charge(number)
        latest = steps.charges(number)[-1]
        authorized = latest.amount_minor or 0
        if status is Status.ACTIVATION_REQUESTED and latest.state == "Canceled":
            # cancelled outside this module (Seller Central): renew before capturing
            status = steps.apply(number, Event.AUTHORIZATION_EXPIRED, reason="charge canceled")
        elif status is Status.ACTIVATION_REQUESTED and document.gross_total.to_minor() > authorized:
            # A higher total needs a new authorization (a lower one simply captures less).
            status = order_calls.cancel_charge(steps, number, latest.amazon_id, TOTAL_RAISED)
    if status is Status.REAUTHORIZATION:
        status = steps.authorize(number)
        if status is Status.ACCEPTED:
            status = steps.apply(number, Event.ACTIVATION_REQUESTED)
    return status


def refund(steps: OrderSteps, credit_note_number: str) -> Status:
    """Refund a credit note's amount against its order's capture; returns the order's status."""
    steps.heal(credit_note_number)
    credit_note = steps.document(credit_note_number)
    if credit_note.doc_type is not DocumentType.CREDIT_NOTE or not credit_note.refers_to:
        raise StepRefused(f"{credit_note_number} is not a credit note of an order")
    order = steps.document(credit_note.refers_to)
    with UnitOfWork(steps.engine) as uow:
        note_id = uow.documents.id_of(credit_note_number)
        existing = amazon_log.refs(uow.session, note_id, "refund")
    if existing:
        return steps.reconcile_refund(existing[-1].amazon_id)
    if not steps.settings.report_returns:
        raise StepRefused(
            f"{credit_note_number}: reporting returns to Amazon is switched off "
            "(AMAZON_PAYMENTS_REPORT_RETURNS=false)"
        )
    amount = credit_note.gross_total
    try:
        order.payment.check_refund(amount)
    except IllegalTransition as problem:
        raise StepRefused(f"{credit_note_number} cannot be refunded: {problem}") from None
    captured = [ref for ref in steps.charges(order.number) if ref.state == "Captured"]
    if not captured:
        raise StepRefused(f"{order.number} has no captured charge to refund")
    return order_calls.create_refund(steps, credit_note_number, captured[-1].amazon_id, amount)


def cancel(steps: OrderSteps, number: str, items: list[str] | None = None) -> Status:
    """Cancel a whole order that is not activated: cancel its charges, close its permission.

    The closing is recorded first, as the intent: a run that dies half-way is finished by the
    next run or sweep, which closes the permission and cancels the document.
    """
    if items:
        raise StepRefused(f"{number}: {SINGLE_ITEMS_REFUSED}")
    status = steps.heal(number)
    if status is Status.CANCELLED:
        return status
    if status not in CANCELLABLE:
        raise StepRefused(
            f"{number} cannot be cancelled: its payment status is {status.value}; "
            "only whole orders that are not activated can be cancelled"
        )
    if not steps.settings.report_cancellations:
        return steps.apply(number, Event.CANCELLED, reason=ORDER_CANCELLED)
    permission_id = steps.document(number).charge_permission_id
    close = order_calls.begin_close(steps, number, permission_id) if permission_id else None
    for ref in steps.charges(number):
        if ref.state in LIVE_CHARGE:
            order_calls.cancel_charge(steps, number, ref.amazon_id, ORDER_CANCELLED)
    if close is None:
        return steps.apply(number, Event.CANCELLED, reason=ORDER_CANCELLED)
    return order_calls.finish(steps, close)

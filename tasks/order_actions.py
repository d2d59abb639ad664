"""Activation (capture), refunds and cancellation of one document, on top of `OrderSteps`."""

from __future__ import annotations

from adapters.amazon_pay import StateError
from adapters.erp import amazon_log
from adapters.erp.store import UnitOfWork
from domain.documents import Document, DocumentType
from domain.money import Money
from domain.payment_status import CANCELLABLE, Event, IllegalTransition, Status
from tasks.order_steps import OrderSteps, StepRefused

SINGLE_ITEMS_REFUSED = (
    "cancelling single items is not possible through Amazon Pay: "
    "it needs manual action in Seller Central"
)


def activate(steps: OrderSteps, number: str) -> Status:
    """Capture the document's current gross total (the shipment confirmation)."""
    document = steps.document(number)
    status = document.payment.status
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
    status = _hold_authorization(steps, document, status)
    if status is not Status.ACTIVATION_REQUESTED:
        return status
    return _capture(steps, steps.document(number))


def reauthorize(steps: OrderSteps, number: str) -> Status:
    """Renew a lapsed authorization; a shipment requested before it lapsed is then captured."""
    status = steps.authorize(number)
    with UnitOfWork(steps.engine) as uow:
        resume = amazon_log.activation_outstanding(uow.session, steps.document_id(number))
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
            _cancel_charge(steps, number, latest.amazon_id, "total raised")
            status = steps.apply(number, Event.AUTHORIZATION_EXPIRED, reason="total raised")
    if status is Status.REAUTHORIZATION:
        status = steps.authorize(number)
        if status is Status.ACCEPTED:
            status = steps.apply(number, Event.ACTIVATION_REQUESTED)
    return status


def _capture(steps: OrderSteps, document: Document) -> Status:
    number = document.number
    charge_id = steps.charges(number)[-1].amazon_id
    doc_id = steps.document_id(number)
    key = steps.gateway.next_key(doc_id, number, "capture_charge")
    amount = document.gross_total
    try:
        charge = steps.gateway.call(
            doc_id,
            "capture_charge",
            {"chargeId": charge_id, "amount": str(amount)},
            lambda: steps.amazon.capture_charge(
                charge_id, capture_amount=amount, idempotency_key=key
            ),
            key=key,
        )
    except StateError:
        return steps.reconcile_charge(number, charge_id=charge_id)
    return steps.reconcile_charge(number, charge)


def refund(steps: OrderSteps, credit_note_number: str) -> Status:
    """Refund a credit note's amount against its order's capture; returns the order's status."""
    credit_note = steps.document(credit_note_number)
    if credit_note.doc_type is not DocumentType.CREDIT_NOTE or not credit_note.refers_to:
        raise StepRefused(f"{credit_note_number} is not a credit note of an order")
    order = steps.document(credit_note.refers_to)
    with UnitOfWork(steps.engine) as uow:
        note_id = amazon_log.document_id(uow.session, credit_note_number)
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
    return _create_refund(steps, order, credit_note_number, note_id, amount)


def _create_refund(
    steps: OrderSteps, order: Document, note_number: str, note_id: int, amount: Money
) -> Status:
    captured = [ref for ref in steps.charges(order.number) if ref.state == "Captured"]
    if not captured:
        raise StepRefused(f"{order.number} has no captured charge to refund")
    charge_id = captured[-1].amazon_id
    key = steps.gateway.next_key(note_id, note_number, "create_refund")
    created = steps.gateway.call(
        note_id,
        "create_refund",
        {"chargeId": charge_id, "amount": str(amount)},
        lambda: steps.amazon.create_refund(
            charge_id=charge_id, refund_amount=amount, idempotency_key=key
        ),
        key=key,
    )
    with UnitOfWork(steps.engine) as uow:
        amazon_log.save_ref(
            uow.session,
            note_id,
            "refund",
            created.refund_id,
            None,
            amount.to_minor(),
            amount.currency,
        )
        uow.commit()
    return steps.reconcile_refund(created.refund_id, created)


def cancel(steps: OrderSteps, number: str, items: list[str] | None = None) -> Status:
    """Cancel a whole order that is not activated: cancel its charge, close its permission."""
    if items:
        raise StepRefused(f"{number}: {SINGLE_ITEMS_REFUSED}")
    document = steps.document(number)
    status = document.payment.status
    if status is Status.CANCELLED:
        return status
    if status not in CANCELLABLE:
        raise StepRefused(
            f"{number} cannot be cancelled: its payment status is {status.value}; "
            "only whole orders that are not activated can be cancelled"
        )
    if steps.settings.report_cancellations:
        for ref in steps.charges(number):
            if ref.state in (None, "AuthorizationInitiated", "Authorized"):
                _cancel_charge(steps, number, ref.amazon_id, "order cancelled")
        if document.charge_permission_id:
            _close_permission(steps, number, document.charge_permission_id)
    return steps.apply(number, Event.CANCELLED, reason="order cancelled")


def _cancel_charge(steps: OrderSteps, number: str, charge_id: str, reason: str) -> None:
    try:
        charge = steps.gateway.call(
            steps.document_id(number),
            "cancel_charge",
            {"chargeId": charge_id, "reason": reason},
            lambda: steps.amazon.cancel_charge(charge_id, cancellation_reason=reason),
        )
    except StateError:  # already cancelled, captured or declined: the re-read tells which
        charge = steps.amazon.get_charge(charge_id)
    steps.save_charge(number, charge)


def _close_permission(steps: OrderSteps, number: str, permission_id: str) -> None:
    try:
        steps.gateway.call(
            steps.document_id(number),
            "close_charge_permission",
            {"chargePermissionId": permission_id},
            lambda: steps.amazon.close_charge_permission(
                permission_id, closure_reason="order cancelled", cancel_pending_charges=True
            ),
        )
    except StateError:
        # Closed already (a re-run after a crash finds it so)? Only Amazon's own word counts.
        state = steps.amazon.get_charge_permission(permission_id).state
        if state != "Closed":
            raise

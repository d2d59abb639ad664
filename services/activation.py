"""Activation (the shipment confirmation): capture the document's current gross total."""

from __future__ import annotations

from domain.amazon_calls import TOTAL_RAISED
from domain.payment_status import Event, Status
from services import calls
from services.applying import apply_event
from services.authorization import authorize_step
from services.outcomes import Outcome, Refused, outcome_of
from services.reconcile import reconcile_latest_charge
from services.resources import Resources

CAN_ACTIVATE = (Status.ACTIVATION_REQUESTED, Status.REAUTHORIZATION, Status.CAPTURE_PENDING)


def activate(res: Resources, number: str) -> Outcome:
    """Capture the document's current gross total; refused unless it is accepted."""
    return outcome_of(res, number, lambda: _activate(res, number))


def reauthorize(res: Resources, number: str) -> Outcome:
    """Renew a lapsed authorization; a shipment requested before it lapsed is then captured."""
    return outcome_of(res, number, lambda: _reauthorize(res, number))


def _activate(res: Resources, number: str) -> Status:
    calls.heal(res, number)
    with res.uow() as uow:
        document = uow.documents.get(number, lock=True)
        if document is None:
            raise Refused(f"no document {number}")
        status = document.payment.status
        if status is Status.ACTIVATED:
            return status  # a re-run after the capture was applied: nothing more to do
        if status is Status.ACCEPTED:
            if not res.settings.report_shipment:
                raise Refused(
                    f"{number}: reporting shipments to Amazon is switched off "
                    "(AMAZON_PAYMENTS_REPORT_SHIPMENT=false)"
                )
            status = apply_event(uow, number, Event.ACTIVATION_REQUESTED)
            uow.commit()
        elif status not in CAN_ACTIVATE:
            raise Refused(
                f"{number} cannot be activated: its payment status is {status.value}; "
                "only accepted documents can be activated"
            )
    if status is Status.CAPTURE_PENDING:
        return reconcile_latest_charge(res, number)
    status = _hold_authorization(res, number, status)
    if status is not Status.ACTIVATION_REQUESTED:
        return status
    with res.uow() as uow:
        charge_id = uow.refs.refs(uow.documents.id_of(number), "charge")[-1].amazon_id
    return calls.capture(res, number, charge_id, document.gross_total)


def _hold_authorization(res: Resources, number: str, status: Status) -> Status:
    """Make sure an Authorized charge covers the total; re-authorize when it lapsed or is short."""
    if status is Status.ACTIVATION_REQUESTED:
        status = reconcile_latest_charge(res, number)
        with res.uow() as uow:
            latest = uow.refs.refs(uow.documents.id_of(number), "charge")[-1]
            document = uow.documents.get(number)
        assert document is not None
        if status is Status.ACTIVATION_REQUESTED and latest.state == "Canceled":
            # cancelled outside this module (Seller Central): renew before capturing
            status = _apply(res, number, Event.AUTHORIZATION_EXPIRED, "charge canceled")
        elif status is Status.ACTIVATION_REQUESTED and document.gross_total.to_minor() > (
            latest.amount_minor or 0
        ):
            # A higher total needs a new authorization (a lower one simply captures less).
            status = calls.cancel_charge(res, number, latest.amazon_id, TOTAL_RAISED)
    if status is Status.REAUTHORIZATION:
        status = authorize_step(res, number)
        if status is Status.ACCEPTED:
            status = _apply(res, number, Event.ACTIVATION_REQUESTED)
    return status


def _reauthorize(res: Resources, number: str) -> Status:
    status = authorize_step(res, number)
    with res.uow() as uow:
        resume = uow.refs.activation_outstanding(uow.documents.id_of(number))
    if status is Status.ACCEPTED and resume:
        return _activate(res, number)
    return status


def _apply(res: Resources, number: str, event: Event, reason: str = "") -> Status:
    with res.uow() as uow:
        status = apply_event(uow, number, event, reason)
        uow.commit()
    return status

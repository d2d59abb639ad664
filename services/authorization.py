"""Authorization: create the order's charge and learn Amazon's answer, bounded by the timeout."""

from __future__ import annotations

from domain.payment_status import Event, Status
from services import calls
from services.applying import apply_event, status_of
from services.outcomes import Outcome, Refused, outcome_of
from services.reconcile import reconcile_charge, reconcile_latest_charge
from services.resources import Resources

LIVE_AUTHORIZATION = ("AuthorizationInitiated", "Authorized")


def authorize(res: Resources, number: str) -> Outcome:
    """Create the charge for a pending (or re-authorizing) document, idempotently."""
    return outcome_of(res, number, lambda: authorize_step(res, number))


def poll(res: Resources, number: str) -> Outcome:
    """Read the document's latest charge and apply what Amazon decided."""
    return outcome_of(res, number, lambda: reconcile_latest_charge(res, number))


def mark_overdue(res: Resources, number: str) -> Outcome:
    """The wait ran out: a still pending document becomes authorization overdue."""
    return outcome_of(res, number, lambda: _mark_overdue(res, number))


def authorize_step(res: Resources, number: str) -> Status:
    """Authorize, as a step of a larger use case (re-authorization); refusals raise."""
    document, charges = calls.healed(res, number)
    status = document.payment.status
    if status not in (Status.PENDING, Status.REAUTHORIZATION):
        return status
    if charges and charges[-1].state in LIVE_AUTHORIZATION and status is Status.PENDING:
        return reconcile_charge(res, number, charges[-1].amazon_id)
    if not document.charge_permission_id:
        raise Refused(f"{number} has no charge permission to authorize")
    return calls.create_charge(res, document)


def _mark_overdue(res: Resources, number: str) -> Status:
    with res.uow() as uow:
        status = status_of(uow, number, lock=True)
        if status is Status.PENDING:
            reason = "no answer within the timeout"
            status = apply_event(uow, number, Event.AUTHORIZATION_TIMED_OUT, reason)
            uow.commit()
    return status

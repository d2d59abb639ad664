"""Cancellation: whole orders that are not activated; single items need Seller Central."""

from __future__ import annotations

from domain.amazon_calls import ORDER_CANCELLED
from domain.payment_status import CANCELLABLE, Event, Status
from services import calls
from services.applying import apply_event
from services.outcomes import Outcome, Refused, outcome_of
from services.resources import Resources

SINGLE_ITEMS_REFUSED = (
    "cancelling single items is not possible through Amazon Pay: "
    "it needs manual action in Seller Central"
)


def cancel(res: Resources, number: str, items: list[str] | None = None) -> Outcome:
    """Cancel a whole order that is not activated: cancel its charges, close its permission.

    The closing is recorded first, as the intent: a run that dies half-way is finished by the
    next run or sweep, which closes the permission and cancels the document.
    """
    return outcome_of(res, number, lambda: _cancel(res, number, items))


def _cancel(res: Resources, number: str, items: list[str] | None) -> Status:
    if items:
        raise Refused(f"{number}: {SINGLE_ITEMS_REFUSED}")
    document, charges = calls.healed(res, number)
    status = document.payment.status
    if status is Status.CANCELLED:
        return status
    if status not in CANCELLABLE:
        raise Refused(
            f"{number} cannot be cancelled: its payment status is {status.value}; "
            "only whole orders that are not activated can be cancelled"
        )
    permission_id = document.charge_permission_id
    if not res.settings.report_cancellations or not (permission_id or charges):
        return _cancelled_here(res, number)
    close = calls.begin_close(res, number, permission_id) if permission_id else None
    for ref in charges:
        if ref.state in calls.LIVE_CHARGE:
            calls.cancel_charge(res, number, ref.amazon_id, ORDER_CANCELLED)
    if close is None:
        return _cancelled_here(res, number)
    return calls.finish(res, close)


def _cancelled_here(res: Resources, number: str) -> Status:
    with res.uow() as uow:
        status = apply_event(uow, number, Event.CANCELLED, ORDER_CANCELLED)
        uow.commit()
    return status

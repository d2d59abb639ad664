"""How an order run ends in the UI: a state whose name says the business outcome.

Completed when nobody has to act (Amazon's slowness included: `Overdue` shows in the open
items); Failed when a person must act, with the reason as the message and no traceback. The
state's data is the status the document reached, as the run's result.
"""

from __future__ import annotations

from prefect.states import Completed, Failed, State

from domain.amazon_answers import RefundState
from domain.payment_status import Status
from services.outcomes import Outcome

COMPLETED = {
    Status.PENDING: "Pending",
    Status.ACCEPTED: "Accepted",
    Status.AUTHORIZATION_OVERDUE: "Overdue",
    Status.ACTIVATION_REQUESTED: "ActivationRequested",
    Status.REAUTHORIZATION: "Reauthorizing",
    Status.CAPTURE_PENDING: "CapturePending",
    Status.ACTIVATED: "Activated",
    Status.PARTIALLY_REFUNDED: "Refunded",
    Status.REFUNDED: "Refunded",
    Status.CANCELLED: "Cancelled",
}
FAILED = {Status.FAILED: "Declined", Status.CAPTURE_DECLINED: "CaptureDeclined"}
REFUND = {
    RefundState.REFUND_INITIATED: Completed,
    RefundState.REFUNDED: Completed,
    RefundState.DECLINED: Failed,
}
REFUND_NAMES = {
    RefundState.REFUND_INITIATED: "RefundPending",
    RefundState.REFUNDED: "Refunded",
    RefundState.DECLINED: "RefundDeclined",
}


def end_state(outcome: Outcome) -> State:
    """The run's end for one document's outcome (a credit note's: by its refund's state)."""
    result = outcome.describe()
    if outcome.refused:
        return Failed(name="Refused", message=outcome.problem, data=result)
    if outcome.status is None:
        return Failed(name="Refused", message=f"no document {outcome.number}", data=result)
    message = f"{outcome.number}: {result}" + (f" ({outcome.reason})" if outcome.reason else "")
    if outcome.refund_state is not None:
        refund = RefundState(outcome.refund_state)
        return REFUND[refund](name=REFUND_NAMES[refund], message=message, data=result)
    if outcome.status in FAILED:
        return Failed(name=FAILED[outcome.status], message=message, data=result)
    return Completed(name=COMPLETED[outcome.status], message=message, data=result)

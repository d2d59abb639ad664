"""What Amazon's objects say, as payment events: the one mapping every reconcile path uses.

A notification, a poll, the sweeper and a manual action all read the object from Amazon and
hand its state here. Every terminal state is mapped; "not declined" never means "paid".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.money import Money
from domain.payment_status import Event, Status

CAPTURE_PHASE = frozenset({Status.ACTIVATION_REQUESTED, Status.CAPTURE_PENDING})
HOLDS_AUTHORIZATION = frozenset({Status.ACCEPTED, Status.ACTIVATION_REQUESTED})
# Cancel Charge, and Close Charge Permission with cancelPendingCharges: what our steps send.
OUR_CANCELS = frozenset({"MerchantCanceled", "ChargePermissionCanceled"})


class ChargeState(StrEnum):
    """Amazon's states of a Charge."""

    AUTHORIZATION_INITIATED = "AuthorizationInitiated"
    AUTHORIZED = "Authorized"
    CAPTURE_INITIATED = "CaptureInitiated"
    CAPTURED = "Captured"
    DECLINED = "Declined"
    CANCELED = "Canceled"


class RefundState(StrEnum):
    """Amazon's states of a Refund."""

    REFUND_INITIATED = "RefundInitiated"
    REFUNDED = "Refunded"
    DECLINED = "Declined"


@dataclass(frozen=True)
class Answer:
    """The event a state of Amazon's means for the document; `event` None: nothing decided yet."""

    event: Event | None
    amount: Money | None = None
    reason: str = ""


def charge_answer(
    status: Status,
    state: str,
    reason_code: str | None,
    captured: Money | None,
    *,
    superseded: bool = False,
) -> Answer:
    """The event a Charge's state means for a document whose payment is in `status`.

    Args:
        status: the document's current payment status (a decline while capturing is a
            capture decline, not a failed authorization).
        state: Amazon's Charge state; reason_code: its reason; captured: its captureAmount.
        superseded: the document has a newer charge (this one lapsed or was cancelled and
            was renewed). Only money it moved still counts; any other state of it is history,
            which must not undo the renewal or fail the document (its notification or a
            re-read often arrives after the renewal).
    """
    reason = f"Amazon: {state}" + (f"/{reason_code}" if reason_code else "")
    try:
        known = ChargeState(state)
    except ValueError:
        raise ValueError(f"unknown Amazon charge state {state!r}") from None
    if superseded and known not in (ChargeState.CAPTURE_INITIATED, ChargeState.CAPTURED):
        return Answer(None, reason=reason)
    if known is ChargeState.AUTHORIZATION_INITIATED:
        return Answer(None, reason=reason)
    if known is ChargeState.AUTHORIZED:
        return Answer(Event.AUTHORIZED, reason=reason)
    if known is ChargeState.CAPTURE_INITIATED:
        return Answer(Event.CAPTURE_INITIATED, reason=reason)
    if known is ChargeState.CAPTURED:
        return Answer(Event.CAPTURED, captured, reason)
    if known is ChargeState.DECLINED:
        event = Event.CAPTURE_DECLINED if status in CAPTURE_PHASE else Event.DECLINED
        return Answer(event, reason=reason)
    if reason_code in OUR_CANCELS:
        # Our own cancel (its notification may overtake our commit): the step that
        # cancelled applies what it meant (cancelled, or a renewed authorization).
        return Answer(None, reason=reason)
    # An authorization Amazon let lapse (ExpiredUnused) or cancelled while we still held it
    # must be renewed before capture; being renewed, the lapse is why (read again, it is no
    # decline of the renewal); before acceptance it is a failed authorization.
    if status in HOLDS_AUTHORIZATION:
        return Answer(Event.AUTHORIZATION_EXPIRED, reason=reason)
    if status is Status.REAUTHORIZATION:
        return Answer(None, reason=reason)
    return Answer(Event.DECLINED, reason=reason)


def refund_answer(state: str, reason_code: str | None, amount: Money) -> Answer:
    """The event a Refund's state means for the order it refunds."""
    reason = f"Amazon: {state}" + (f"/{reason_code}" if reason_code else "")
    try:
        known = RefundState(state)
    except ValueError:
        raise ValueError(f"unknown Amazon refund state {state!r}") from None
    if known is RefundState.REFUNDED:
        return Answer(Event.REFUNDED, amount, reason)
    # RefundInitiated: not decided yet; Declined: the order keeps its status and the credit
    # note says why.
    return Answer(None, reason=reason)

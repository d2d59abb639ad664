"""Sandbox simulation codes (`x-amz-pay-simulation-code`), accepted only in the sandbox environment.

A code that is unknown for the operation, sent to the live environment (`/live/v2` or a `LIVE-`
key), or used without its prerequisite answers 400 InvalidSandboxSimulationSpecified.

Create Charge
    SoftDeclined, HardDeclined, AmazonRejected, ProcessingFailure, TransactionTimedOut
        without canHandlePendingAuthorization: a synchronous decline, answered as an error
        (422, reasonCode = the code); no charge is persisted (decided: the error body carries
        no chargeId, so a persisted charge could never be read by the client).
        with canHandlePendingAuthorization=true: 201 AuthorizationInitiated, then Declined with
        the code as reasonCode after the async delay (the "pending, later declines" case).
        HardDeclined and AmazonRejected also turn the charge permission NonChargeable
        (PaymentMethodInvalid), sync or async.
    AuthorizationInitiated
        requires canHandlePendingAuthorization=true: 201 AuthorizationInitiated, then
        Authorized after the async delay (the "pending, later authorizes" case).
Sandbox test cards (the checkout's paymentDescriptor, set by the admin checkout; a header code
overrides the card, as Amazon documents):
    ****0701  with canHandlePendingAuthorization: AuthorizationInitiated, later Authorized;
              without: a synchronous TransactionTimedOut decline (decided).
    ****4354  with canHandlePendingAuthorization: AuthorizationInitiated, later Declined
              (HardDeclined); without: a synchronous HardDeclined.
    ****0403  (ours) authorizes at once; its capture answers CaptureInitiated, then Declined
              (AmazonRejected) after the async delay.
    ****0404  (ours) authorizes at once; its refunds answer RefundInitiated, then Declined
              (AmazonRejected) after the async delay.
    ****0720  (ours, not Amazon's) like ****0701, but Amazon answers only after 20 minutes of
              sandbox time however short the async delay: longer than the module's 15-minute
              authorization wait, so a run under `make run` ends overdue and the answer comes
              later (by notification and the sweeper).
    any other card: Authorized at once.
Capture Charge
    CaptureInitiated: 200 CaptureInitiated, then Captured after the async delay.
    AmazonRejected, ProcessingFailure: 200 CaptureInitiated, then Declined with that reason.
Create Refund
    RefundDeclined (alias of AmazonRejected), AmazonRejected, ProcessingFailure:
        201 RefundInitiated, then Declined with that reason after the async delay.
"""

from __future__ import annotations

from datetime import timedelta

from sandbox.errors import ApiError
from sandbox.state import ChargePermission

CODES: dict[str, frozenset[str]] = {
    "Create Charge": frozenset(
        {
            "SoftDeclined",
            "HardDeclined",
            "AmazonRejected",
            "ProcessingFailure",
            "TransactionTimedOut",
            "AuthorizationInitiated",
        }
    ),
    "Capture Charge": frozenset({"CaptureInitiated", "AmazonRejected", "ProcessingFailure"}),
    "Create Refund": frozenset({"RefundDeclined", "AmazonRejected", "ProcessingFailure"}),
}


def check_simulation(operation: str, code: str | None, environment: str) -> str | None:
    """The simulation code to apply (None without the header); 400 when it cannot apply."""
    if code is None:
        return None
    code = code.strip()
    if environment != "Sandbox":
        raise ApiError(
            "InvalidSandboxSimulationSpecified", "simulation codes are accepted only in Sandbox"
        )
    if code not in CODES.get(operation, frozenset()):
        known = ", ".join(sorted(CODES.get(operation, ()))) or "none"
        raise ApiError(
            "InvalidSandboxSimulationSpecified",
            f"{code!r} is not a simulation code of {operation} (known: {known})",
        )
    return code


# Amazon's simulated wallet cards (amazon-pay-v2.md §5), by the payment descriptor's last digits.
# Both need canHandlePendingAuthorization=true; without it they decline at once (decided:
# 0701 with TransactionTimedOut, 4354 with HardDeclined).
CARD_SIMULATIONS = {
    "0701": ("AuthorizationInitiated", "TransactionTimedOut"),
    "4354": ("HardDeclined", "HardDeclined"),
    "0720": ("AuthorizationInitiated", "TransactionTimedOut"),
}
# Cards that authorize at once and whose later step is declined after the async delay:
# the capture (CaptureInitiated, then Declined) or a refund (RefundInitiated, then Declined).
CARD_LATER_DECLINES = {
    "0403": ("Capture Charge", "AmazonRejected"),
    "0404": ("Create Refund", "AmazonRejected"),
}
# Cards whose pending answer takes at least this long (sandbox clock), whatever the async delay.
CARD_ANSWER_DELAYS = {"0720": timedelta(minutes=20)}
# Every test card with what it does, as `sandbox checkout --help` and the README list them.
TEST_CARDS = {
    "Visa ****0701": "authorizes after the async delay (30 s of sandbox time by default)",
    "Visa ****4354": "declines (HardDeclined) after the async delay",
    "Visa ****0720": "authorizes after 20 minutes, beyond the 15-minute authorization wait",
    "Visa ****0403": "authorizes at once; the capture declines (AmazonRejected) later",
    "Visa ****0404": "authorizes at once; refunds decline (AmazonRejected) later",
}


def card_answer_delay(permission: ChargePermission) -> timedelta | None:
    """How long a test card's pending authorization takes at least (None: the async delay)."""
    if permission.environment != "Sandbox":
        return None
    return CARD_ANSWER_DELAYS.get(permission.payment_descriptor.strip()[-4:])


def card_later_decline(permission: ChargePermission, operation: str) -> str | None:
    """The decline a sandbox test card implies for a capture or refund (None: it succeeds)."""
    if permission.environment != "Sandbox":
        return None
    found = CARD_LATER_DECLINES.get(permission.payment_descriptor.strip()[-4:])
    return found[1] if found is not None and found[0] == operation else None


def card_simulation(permission: ChargePermission, pending_ok: bool) -> str | None:
    """The simulation a sandbox test card implies for a new charge (None: authorize)."""
    if permission.environment != "Sandbox":
        return None
    codes = CARD_SIMULATIONS.get(permission.payment_descriptor.strip()[-4:])
    if codes is None:
        return None
    return codes[0] if pending_ok else codes[1]

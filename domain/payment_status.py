"""The Amazon payment status of an ERP document, as one explicit transition table.

Two kinds of events drive it. Commands come from our side (request activation, cancel): an
illegal one raises `IllegalTransition`, because the caller asked for something the document
cannot do. Answers come from Amazon (authorized, declined, captured, refunded, ...) and may
arrive late or twice: an answer the table does not allow is *recorded, not applied*, so a
cancelled or refunded document never comes back to life whatever Amazon sends later.

Amounts ride along so the invariants hold by construction: a document is only ever activated
by a capture of a positive amount, and refunds never exceed the captured amount plus Amazon's
allowance (min(15 %, 75 EUR/GBP/USD, 8,400 JPY), see `refund_allowance`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from domain.money import Money


class Status(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    FAILED = "failed"
    AUTHORIZATION_OVERDUE = "authorization_overdue"
    ACTIVATION_REQUESTED = "activation_requested"
    CAPTURE_PENDING = "capture_pending"
    ACTIVATED = "activated"
    CAPTURE_DECLINED = "capture_declined"
    REAUTHORIZATION = "reauthorization"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


class Event(StrEnum):
    # Answers from Amazon
    AUTHORIZED = "authorized"
    DECLINED = "declined"
    CAPTURE_INITIATED = "capture_initiated"
    CAPTURED = "captured"
    CAPTURE_DECLINED = "capture_declined"
    REFUNDED = "refunded"
    # Our own observations and commands
    AUTHORIZATION_TIMED_OUT = "authorization_timed_out"
    AUTHORIZATION_EXPIRED = "authorization_expired"
    ACTIVATION_REQUESTED = "activation_requested"
    CANCELLED = "cancelled"


AMAZON_ANSWERS = frozenset(
    {
        Event.AUTHORIZED,
        Event.DECLINED,
        Event.CAPTURE_INITIATED,
        Event.CAPTURED,
        Event.CAPTURE_DECLINED,
        Event.REFUNDED,
    }
)

S, E = Status, Event
# (current status, event) -> next status. Refunds pick partially/fully refunded by amount.
TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (S.PENDING, E.AUTHORIZED): S.ACCEPTED,
    (S.PENDING, E.DECLINED): S.FAILED,
    (S.PENDING, E.AUTHORIZATION_TIMED_OUT): S.AUTHORIZATION_OVERDUE,
    (S.AUTHORIZATION_OVERDUE, E.AUTHORIZED): S.ACCEPTED,
    (S.AUTHORIZATION_OVERDUE, E.DECLINED): S.FAILED,
    (S.ACCEPTED, E.ACTIVATION_REQUESTED): S.ACTIVATION_REQUESTED,
    (S.ACCEPTED, E.AUTHORIZATION_EXPIRED): S.REAUTHORIZATION,
    (S.ACTIVATION_REQUESTED, E.AUTHORIZATION_EXPIRED): S.REAUTHORIZATION,
    (S.REAUTHORIZATION, E.AUTHORIZED): S.ACCEPTED,
    (S.REAUTHORIZATION, E.DECLINED): S.FAILED,
    (S.ACTIVATION_REQUESTED, E.CAPTURED): S.ACTIVATED,
    (S.ACTIVATION_REQUESTED, E.CAPTURE_INITIATED): S.CAPTURE_PENDING,
    (S.ACTIVATION_REQUESTED, E.CAPTURE_DECLINED): S.CAPTURE_DECLINED,
    (S.CAPTURE_PENDING, E.CAPTURED): S.ACTIVATED,
    (S.CAPTURE_PENDING, E.CAPTURE_DECLINED): S.CAPTURE_DECLINED,
    (S.ACTIVATED, E.REFUNDED): S.PARTIALLY_REFUNDED,
    (S.PARTIALLY_REFUNDED, E.REFUNDED): S.PARTIALLY_REFUNDED,
    (S.PENDING, E.CANCELLED): S.CANCELLED,
    (S.ACCEPTED, E.CANCELLED): S.CANCELLED,
    (S.AUTHORIZATION_OVERDUE, E.CANCELLED): S.CANCELLED,
}

TERMINAL = frozenset({S.FAILED, S.REFUNDED, S.CANCELLED, S.CAPTURE_DECLINED})
CANCELLABLE = frozenset(status for (status, event) in TRANSITIONS if event is E.CANCELLED)

# Amazon lets refunds exceed the capture by min(15 %, a fixed cap per currency).
REFUND_ALLOWANCE_SHARE = Decimal("0.15")
REFUND_ALLOWANCE_CAP = {
    "EUR": Decimal(75),
    "GBP": Decimal(75),
    "USD": Decimal(75),
    "JPY": Decimal(8400),
}


class IllegalTransition(ValueError):
    """A command the document's current payment status does not allow."""


def refund_allowance(captured: Money) -> Money:
    """How far refunds may exceed the captured amount: min(15 %, the currency's cap)."""
    share = Money.rounded(captured.amount * REFUND_ALLOWANCE_SHARE, captured.currency)
    cap = REFUND_ALLOWANCE_CAP.get(captured.currency)
    if cap is None or share.amount <= cap:
        return share
    return Money(cap, captured.currency)


@dataclass(frozen=True)
class Transition:
    """What one event did: `applied` is False for a late answer that was only recorded."""

    event: Event
    before: Status
    after: Status
    applied: bool
    reason: str = ""


@dataclass(frozen=True)
class PaymentState:
    """A document's payment status with the money captured and refunded so far."""

    status: Status
    captured: Money
    refunded: Money

    @classmethod
    def new(cls, currency: str) -> PaymentState:
        return cls(Status.PENDING, Money.zero(currency), Money.zero(currency))

    def refund_ceiling(self) -> Money:
        """The most that may still be refunded."""
        return self.captured + refund_allowance(self.captured) - self.refunded

    def check_refund(self, amount: Money) -> None:
        """Raise before calling Amazon when a refund cannot be made now, saying why."""
        if self.status not in (Status.ACTIVATED, Status.PARTIALLY_REFUNDED):
            raise IllegalTransition(f"nothing to refund while {self.status.value}")
        self._refund(amount)  # raises when the amount is above the ceiling

    def apply(self, event: Event, amount: Money | None = None) -> tuple[PaymentState, Transition]:
        """Apply an event; commands that the table forbids raise, Amazon answers are recorded."""
        try:
            after = self._next(event, amount)
        except IllegalTransition as problem:
            if event in AMAZON_ANSWERS:
                return self, Transition(event, self.status, self.status, False, str(problem))
            raise
        return after, Transition(event, self.status, after.status, True)

    def _next(self, event: Event, amount: Money | None) -> PaymentState:
        target = TRANSITIONS.get((self.status, event))
        if target is None:
            raise IllegalTransition(f"{event.value} is not allowed while {self.status.value}")
        if event is Event.CAPTURED:
            return replace(self, status=target, captured=self.captured + _positive(amount))
        if event is Event.REFUNDED:
            return self._refund(_positive(amount))
        return replace(self, status=target)

    def _refund(self, amount: Money) -> PaymentState:
        if amount > self.refund_ceiling():
            raise IllegalTransition(
                f"refund of {amount} exceeds what may still be refunded ({self.refund_ceiling()})"
            )
        refunded = self.refunded + amount
        status = Status.REFUNDED if refunded >= self.captured else Status.PARTIALLY_REFUNDED
        return replace(self, status=status, refunded=refunded)


def _positive(amount: Money | None) -> Money:
    if amount is None or amount.amount <= 0:
        raise IllegalTransition(f"a positive amount is required, got {amount}")
    return amount

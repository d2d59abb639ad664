"""What to do next for one document: the order use cases as decisions on what the store knows.

A use case is a loop (`services.steps.drive`): read the document's case, let the function of
this module decide the next step, carry it out (one Amazon call and its outcome, one read, or
one event of our own), and read again, until the decision is `Done` or `Refuse`. The decisions
are pure; what they see is `Case`, and `Run` says what this run already learned from Amazon, so
a state read in this run is trusted and a state from an earlier run is read again first.

An open call (recorded, outcome never applied) is always finished first, with its recorded
request and key: a new call is decided only on outcomes that were applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.amazon_answers import ChargeState, RefundState
from domain.amazon_calls import (
    ORDER_CANCELLED,
    TOTAL_RAISED,
    Call,
    cancel_request,
    capture_request,
    close_request,
    create_charge_request,
    refund_request,
)
from domain.documents import Document, DocumentType
from domain.payment_status import CANCELLABLE, Event, IllegalTransition, Status

LIVE_AUTHORIZATION = frozenset({ChargeState.AUTHORIZATION_INITIATED, ChargeState.AUTHORIZED})
LIVE_CHARGE = frozenset({None, *LIVE_AUTHORIZATION})  # None: created, state not yet known
NOTE_STATUS: dict[str, str] = {RefundState.REFUNDED: "refunded", RefundState.DECLINED: "declined"}
CAN_ACTIVATE = frozenset(
    {Status.ACCEPTED, Status.ACTIVATION_REQUESTED, Status.REAUTHORIZATION, Status.CAPTURE_PENDING}
)
SINGLE_ITEMS_REFUSED = (
    "cancelling single items is not possible through Amazon Pay: "
    "it needs manual action in Seller Central"
)


@dataclass(frozen=True)
class Ref:
    """A document's reference to an Amazon object (charge permission, charge, refund)."""

    kind: str
    amazon_id: str
    state: str | None
    amount_minor: int | None


@dataclass(frozen=True)
class Case:
    """What the store knows of one document, read in one transaction.

    For a credit note, `order` is the case of the order it refunds, and `note_status` its own
    status as booked: None (pending), refunded, declined or refused.
    """

    document: Document
    charges: list[Ref]
    refunds: list[Ref]
    open_calls: list[Call]
    activation_outstanding: bool = False
    order: Case | None = None
    reason: str = ""  # why the document is in its status, as the store says
    note_status: str | None = None

    @property
    def number(self) -> str:
        return self.document.number

    @property
    def status(self) -> Status:
        return self.document.payment.status

    @property
    def amazon_ids(self) -> set[str]:
        """The ids of the document's charges and refunds."""
        return {ref.amazon_id for ref in self.charges + self.refunds}

    @property
    def reported_status(self) -> Status:
        """The status an outcome reports: a credit note's is its order's."""
        return self.order.status if self.order else self.status

    @property
    def latest_charge(self) -> Ref | None:
        return self.charges[-1] if self.charges else None


@dataclass
class Run:
    """What one run has done so far: whether it acted, and the Amazon objects it read."""

    acted: bool = False
    fresh: set[str] = field(default_factory=set)

    def knows(self, ref: Ref | None) -> bool:
        return ref is not None and ref.amazon_id in self.fresh


@dataclass(frozen=True)
class Switches:
    """The settings that allow a use case to reach Amazon at all."""

    report_shipment: bool = True
    report_returns: bool = True
    report_cancellations: bool = True


@dataclass(frozen=True)
class Send:
    """Record this call (committed) and send it; a recorded one (`call`) is sent again."""

    operation: str
    request: dict[str, object]
    call: Call | None = None


@dataclass(frozen=True)
class Record:
    """Record a call as the intent, without sending it yet (a cancellation's closing)."""

    operation: str
    request: dict[str, object]


@dataclass(frozen=True)
class Read:
    """Read an Amazon object (charge or refund) and apply its state."""

    kind: str
    amazon_id: str


@dataclass(frozen=True)
class Apply:
    """Apply one of our own events to the document."""

    event: Event
    reason: str = ""


@dataclass(frozen=True)
class Mark:
    """Book a credit note's own status; with a reason, also a row in its history (a refusal)."""

    status: str
    reason: str = ""


@dataclass(frozen=True)
class Done:
    """Nothing more to do in this run; the outcome reports `status`."""

    status: Status


@dataclass(frozen=True)
class Refuse:
    """The request cannot be carried out; the reason is for the back office."""

    reason: str


Step = Send | Record | Read | Apply | Mark | Done | Refuse


def resend(call: Call) -> Send:
    return Send(call.operation, call.request, call)


def authorization_step(case: Case, run: Run) -> Step:
    """Create the charge of a pending (or re-authorizing) document, or learn Amazon's answer."""
    if case.open_calls:
        return resend(case.open_calls[0])
    status, latest = case.status, case.latest_charge
    if status not in (Status.PENDING, Status.REAUTHORIZATION):
        return Done(status)
    if latest is not None and latest.state in LIVE_AUTHORIZATION:
        if run.knows(latest):
            return Done(status)  # Amazon has not decided yet
        if status is Status.PENDING:
            return Read("charge", latest.amazon_id)
    permission = case.document.charge_permission_id
    if not permission:
        return Refuse(f"{case.number} has no charge permission to authorize")
    return Send("create_charge", create_charge_request(permission, case.document.gross_total))


def poll_step(case: Case, run: Run) -> Step:
    """Read the document's latest charge once and apply what Amazon decided."""
    if case.open_calls:
        return resend(case.open_calls[0])
    latest = case.latest_charge
    if latest is None or run.knows(latest):
        return Done(case.status)
    return Read("charge", latest.amazon_id)


def overdue_step(case: Case, run: Run) -> Step:
    """The wait ran out: a still pending document becomes authorization overdue."""
    if case.status is Status.PENDING:
        return Apply(Event.AUTHORIZATION_TIMED_OUT, "no answer within the timeout")
    return Done(case.status)


def activation_step(case: Case, run: Run, switches: Switches) -> Step:
    """Capture the document's current gross total once an authorization covers it.

    A lapsed or cancelled authorization is renewed first, and so is one below a raised total
    (a lower total simply captures less).
    """
    if case.open_calls:
        return resend(case.open_calls[0])
    status, latest, document = case.status, case.latest_charge, case.document
    if status is Status.ACCEPTED:
        if not switches.report_shipment:
            return Refuse(
                f"{case.number}: reporting shipments to Amazon is switched off "
                "(AMAZON_PAYMENTS_REPORT_SHIPMENT=false)"
            )
        return Apply(Event.ACTIVATION_REQUESTED)
    if status is Status.REAUTHORIZATION:
        return authorization_step(case, run)
    if status is Status.CAPTURE_PENDING and latest is not None and not run.knows(latest):
        return Read("charge", latest.amazon_id)
    if status is not Status.ACTIVATION_REQUESTED:
        if status in CAN_ACTIVATE or status is Status.ACTIVATED or run.acted:
            return Done(status)
        return Refuse(
            f"{case.number} cannot be activated: its payment status is {status.value}; "
            "only accepted documents can be activated"
        )
    if latest is None:
        return Refuse(f"{case.number} has no charge to capture")
    if not run.knows(latest):
        return Read("charge", latest.amazon_id)
    if latest.state == ChargeState.CANCELED:
        # cancelled outside this module (Seller Central): renew before capturing
        return Apply(Event.AUTHORIZATION_EXPIRED, "charge canceled")
    if document.gross_total.to_minor() > (latest.amount_minor or 0):
        return Send("cancel_charge", cancel_request(latest.amazon_id, TOTAL_RAISED))
    return Send("capture_charge", capture_request(latest.amazon_id, document.gross_total))


def renewal_step(case: Case, run: Run, switches: Switches) -> Step:
    """Renew a lapsed authorization; a shipment requested before it lapsed is then captured."""
    if case.activation_outstanding and case.status in CAN_ACTIVATE:
        return activation_step(case, run, switches)
    return authorization_step(case, run)


def refund_step(case: Case, run: Run, switches: Switches) -> Step:
    """Refund a credit note against its order's capture; `Done` carries the order's status.

    A credit note above the order's refund ceiling is refused once, with the reason booked on
    it, and not tried again; Amazon's final answer on its refund is booked on it too.
    """
    if case.open_calls:
        return resend(case.open_calls[0])
    note, order = case.document, case.order
    if note.doc_type is not DocumentType.CREDIT_NOTE or not note.refers_to:
        return Refuse(f"{case.number} is not a credit note of an order")
    if order is None:
        return Refuse(f"{case.number} refers to {note.refers_to}, which is not in the store")
    if case.note_status == "refused":
        return Refuse(case.reason or f"{case.number}: its refund was refused")
    if case.refunds:
        return _refund_followed(case, run, order)
    if not switches.report_returns:
        return Refuse(
            f"{case.number}: reporting returns to Amazon is switched off "
            "(AMAZON_PAYMENTS_REPORT_RETURNS=false)"
        )
    amount, payment = note.gross_total, order.document.payment
    if order.status in (Status.ACTIVATED, Status.PARTIALLY_REFUNDED):
        ceiling = payment.refund_ceiling()
        if amount > ceiling:
            return Mark(
                "refused",
                f"{case.number}: the refund of {amount} exceeds what may still be refunded on "
                f"{order.number} ({ceiling}); a corrected credit note is a new request",
            )
    try:
        payment.check_refund(amount)
    except IllegalTransition as problem:
        return Refuse(f"{case.number} cannot be refunded: {problem}")
    captured = [ref for ref in order.charges if ref.state == ChargeState.CAPTURED]
    if not captured:
        return Refuse(f"{order.number} has no captured charge to refund")
    return Send("create_refund", refund_request(captured[-1].amazon_id, amount))


def _refund_followed(case: Case, run: Run, order: Case) -> Step:
    """Read the note's refund once in this run; book Amazon's final answer on the note."""
    latest = case.refunds[-1]
    if not run.knows(latest):
        return Read("refund", latest.amazon_id)
    final = NOTE_STATUS.get(latest.state or "")
    if final is not None and final != case.note_status:
        return Mark(final)
    return Done(order.status)


def cancellation_step(case: Case, run: Run, switches: Switches, items: list[str]) -> Step:
    """Cancel a whole order that is not activated: its live charges first, then its permission.

    The closing of the permission is recorded first, as the intent: a run that dies half-way
    is finished by the next run or sweep, which closes the permission and cancels the order.
    """
    if items:
        return Refuse(f"{case.number}: {SINGLE_ITEMS_REFUSED}")
    closing = [call for call in case.open_calls if call.operation == "close_charge_permission"]
    others = [call for call in case.open_calls if call not in closing]
    if others:
        return resend(others[0])
    status, permission = case.status, case.document.charge_permission_id
    if status is Status.CANCELLED:
        return Done(status)
    if status not in CANCELLABLE:
        if run.acted:
            return Done(status)
        return Refuse(
            f"{case.number} cannot be cancelled: its payment status is {status.value}; "
            "only whole orders that are not activated can be cancelled"
        )
    if not switches.report_cancellations or not (permission or case.charges or closing):
        return Apply(Event.CANCELLED, ORDER_CANCELLED)
    if permission and not closing:
        return Record("close_charge_permission", close_request(permission, ORDER_CANCELLED))
    for ref in case.charges:
        if ref.state in LIVE_CHARGE and not run.knows(ref):
            return Send("cancel_charge", cancel_request(ref.amazon_id, ORDER_CANCELLED))
    if closing:
        return resend(closing[0])
    return Apply(Event.CANCELLED, ORDER_CANCELLED)


def healing_step(case: Case, run: Run) -> Step:
    """Finish the document's calls whose outcome was never applied, oldest first."""
    if case.open_calls:
        return resend(case.open_calls[0])
    return Done(case.status)


def reading_step(case: Case, run: Run, kind: str, amazon_id: str) -> Step:
    """Read one named object (a notification named it) and apply its state, once."""
    if run.knows(Ref(kind, amazon_id, None, None)):
        return Done(case.reported_status)
    return Read(kind, amazon_id)

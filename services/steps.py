"""The loop every order use case runs: read the document's case, let the domain decide the next
step, carry it out, read again, until the domain says done or refuses.

One step is one unit of work: a mutating call is recorded (committed) before it is sent and its
outcome applied in one transaction (`services.calls`); a read is logged and applied in one; an
event of our own is applied under the document's row lock, only if the status it was decided on
still holds; a credit note's own status is booked under its row lock, once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from domain.next_step import Apply, Case, Done, Mark, Read, Record, Refuse, Run, Send, Step
from domain.payment_status import Status
from services import calls
from services.applying import apply_event, status_of
from services.outcomes import Outcome, Refused
from services.reconcile import reconcile_charge, reconcile_refund
from services.resources import Resources

MAX_STEPS = 16  # a use case needs at most about eight; more means the decisions went round

Decide = Callable[[Case, Run], Step]


def drive(res: Resources, number: str, decide: Decide) -> Outcome:
    """Run a use case's decisions on the document until it is done; its outcome, with notes of
    what the run saw (the document's total, Amazon's ids and every state it learned)."""
    run, notes, learned_before = Run(), Notes(), None
    known: dict[str, str | None] = {}
    learned: set[str] = set()
    for _ in range(MAX_STEPS):
        with res.uow() as uow:
            case = uow.cases.get(number)
        if case is None:
            return Outcome(number, None, f"no document {number}")
        if learned_before is not None:  # what the last call created is news of this run
            learned |= case.amazon_ids - learned_before
        run.fresh |= learned
        known = notes.seen(case, learned, known)
        step = decide(case, run)
        if isinstance(step, Done):
            return done(case, step.status, notes)
        if isinstance(step, Refuse):
            return Outcome(number, case.reported_status, step.reason, notes=notes.lines)
        try:
            learned = carry_out(res, case, step)
        except Refused as refused:
            with res.uow() as uow:
                after = uow.cases.get(number)
            status = after.reported_status if after else None
            return Outcome(number, status, str(refused), notes=notes.lines)
        run.acted = True
        learned_before = case.amazon_ids if isinstance(step, Send) else None
    raise RuntimeError(f"{number}: still deciding after {MAX_STEPS} steps")


class Notes:
    """What a run saw, as lines for its log: never a buyer's address, never a key."""

    def __init__(self) -> None:
        self.lines: tuple[str, ...] = ()

    def seen(
        self, case: Case, learned: set[str], known: dict[str, str | None]
    ) -> dict[str, str | None]:
        """Note the document on first sight, then every Amazon state that moved or was read."""
        refs = case.charges + case.refunds
        if not self.lines:
            document = case.document
            total = f"{document.gross_total.amount} {document.currency}"
            permission = document.charge_permission_id or "none"
            self.add(f"{case.number}: {document.doc_type.value} of {total}, charge permission "
                     f"{permission}, status {case.status.value}")  # fmt: skip
            self.add(*(f"{case.number}: {r.kind} {r.amazon_id} was {r.state}" for r in refs))
        else:
            at = datetime.now(UTC).strftime("%H:%M:%S UTC")
            for ref in refs:
                if known.get(ref.amazon_id, "") != ref.state or ref.amazon_id in learned:
                    self.add(f"{case.number}: {ref.kind} {ref.amazon_id} {ref.state} at {at}")
        return {ref.amazon_id: ref.state for ref in refs}

    def add(self, *lines: str) -> None:
        self.lines += lines


def done(case: Case, status: Status, notes: Notes) -> Outcome:
    """The outcome of a run that finished: the status it reports and why it is so."""
    refund = case.refunds[-1].state if case.order and case.refunds else None
    reason = case.order.reason if case.order else case.reason
    charge = case.latest_charge.state if case.latest_charge else None
    return Outcome(
        case.number,
        status,
        reason=reason,
        charge_state=charge,
        refund_state=refund,
        notes=notes.lines,
    )


def carry_out(res: Resources, case: Case, step: Step) -> set[str]:
    """Carry out one step; the ids of the Amazon objects whose state it learned."""
    number = case.number
    if isinstance(step, Send):
        call = step.call or calls.begin(res, number, step.operation, dict(step.request))
        calls.finish(res, call)
        target = call.request.get("chargeId") or call.request.get("chargePermissionId")
        return {str(target)} if target else set()
    if isinstance(step, Record):
        calls.begin(res, number, step.operation, dict(step.request))
        return set()
    if isinstance(step, Read):
        if step.kind == "refund":
            reconcile_refund(res, step.amazon_id)
        else:
            reconcile_charge(res, number, step.amazon_id)
        return {step.amazon_id}
    if isinstance(step, Mark):
        mark(res, case, step)
        return set()
    assert isinstance(step, Apply)
    with res.uow() as uow:
        if status_of(uow, number, lock=True) is case.status:
            apply_event(uow, number, step.event, step.reason)
            uow.commit()
    return set()


def mark(res: Resources, case: Case, step: Mark) -> None:
    """Book a credit note's own status under its row lock, once; a refusal also in its history."""
    number = case.number
    with res.uow() as uow:
        uow.records.lock(number)
        facts = uow.records.facts(number)
        if facts is None or facts.note_status == step.status:
            return
        uow.records.set_note_status(number, step.status, step.reason or facts.status_reason or "")
        if step.reason:
            before = facts.note_status or "pending"
            uow.records.add_event(number, f"refund_{step.status}", before, step.status, step.reason)
        uow.commit()

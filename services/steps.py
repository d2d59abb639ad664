"""The loop every order use case runs: read the document's case, let the domain decide the next
step, carry it out, read again, until the domain says done or refuses.

One step is one unit of work: a mutating call is recorded (committed) before it is sent and its
outcome applied in one transaction (`services.calls`); a read is logged and applied in one; an
event of our own is applied under the document's row lock, only if the status it was decided on
still holds.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.next_step import Apply, Case, Done, Read, Record, Refuse, Run, Send, Step
from services import calls
from services.applying import apply_event, status_of
from services.outcomes import Outcome, Refused
from services.reconcile import reconcile_charge, reconcile_refund
from services.resources import Resources

MAX_STEPS = 16  # a use case needs at most about eight; more means the decisions went round

Decide = Callable[[Case, Run], Step]


def drive(res: Resources, number: str, decide: Decide) -> Outcome:
    """Run a use case's decisions on the document until it is done; its outcome."""
    run, learned_before = Run(), None
    for _ in range(MAX_STEPS):
        with res.uow() as uow:
            case = uow.cases.get(number)
        if case is None:
            return Outcome(number, None, f"no document {number}")
        if learned_before is not None:  # what the last call created is news of this run
            run.fresh |= case.amazon_ids - learned_before
        step = decide(case, run)
        if isinstance(step, Done):
            return Outcome(number, step.status)
        if isinstance(step, Refuse):
            return Outcome(number, case.reported_status, step.reason)
        try:
            run.fresh |= carry_out(res, case, step)
        except Refused as refused:
            with res.uow() as uow:
                after = uow.cases.get(number)
            return Outcome(number, after.reported_status if after else None, str(refused))
        run.acted = True
        learned_before = case.amazon_ids if isinstance(step, Send) else None
    raise RuntimeError(f"{number}: still deciding after {MAX_STEPS} steps")


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
    assert isinstance(step, Apply)
    with res.uow() as uow:
        if status_of(uow, number, lock=True) is case.status:
            apply_event(uow, number, step.event, step.reason)
            uow.commit()
    return set()

"""Authorization: create the order's charge and learn Amazon's answer, bounded by the timeout.

While Amazon decides, the `authorize` flow run suspends itself (no process waits) and its id is
kept with the document (`await_answer`). Whoever applies Amazon's answer through the reconcile
path (notification, sweeper's poll, a manual action) then calls `release`: the run is resumed
with the answer as its input, or ended Overdue at the timeout, or retried when it crashed
after resuming; once the run has reached its end the wait is forgotten.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adapters.prefect_runs import RunPhase
from domain.next_step import authorization_step, overdue_step, poll_step
from domain.payment_status import Status
from services.outcomes import Outcome
from services.resources import Resources
from services.steps import drive

OVERDUE = "Overdue"


def authorize(res: Resources, number: str) -> Outcome:
    """Create the charge for a pending (or re-authorizing) document, idempotently."""
    return drive(res, number, authorization_step)


def authorize_by_hand(res: Resources, number: str) -> Outcome:
    """A manual `orders authorize`: the same step (a pending document's charge is read), then
    the run waiting on the document, if Amazon has decided, is released as by a notification."""
    outcome = authorize(res, number)
    released = release(res, number)
    return replace(outcome, notes=outcome.notes + released.notes)


def poll(res: Resources, number: str) -> Outcome:
    """Read the document's latest charge and apply what Amazon decided."""
    return drive(res, number, poll_step)


def mark_overdue(res: Resources, number: str) -> Outcome:
    """The wait ran out: a still pending document becomes authorization overdue."""
    return drive(res, number, overdue_step)


def time_out(res: Resources, number: str) -> Outcome:
    """A pending authorization past its timeout, settled in one go: Amazon is asked once more,
    a document still undecided becomes authorization overdue, and the run waiting on it is
    released at once (ended Overdue, or resumed with Amazon's late answer)."""
    outcome = poll(res, number)
    if outcome.status is Status.PENDING:
        outcome = mark_overdue(res, number)
    released = release(res, number)
    return replace(outcome, notes=outcome.notes + released.notes)


def await_answer(res: Resources, number: str, run_id: str, deadline: datetime) -> None:
    """Keep the id of the (suspending) run that waits for Amazon's answer on the document."""
    with res.uow() as uow:
        uow.waits.remember(number, run_id, deadline)
        uow.commit()


def waiting_decided(res: Resources, limit: int) -> list[str]:
    """Documents no longer pending whose waiting run has not been seen to end yet."""
    with res.uow() as uow:
        return [wait.number for wait in uow.waits.decided(limit)]


def release(res: Resources, number: str) -> Outcome:
    """Move the run waiting on a decided document towards its end; forget it once ended.

    A suspended run is resumed with the document's status as its input, or, when the document
    went overdue, ended `Completed(name="Overdue")` directly (no process starts for it). A run
    that crashed after resuming is retried: it starts from the top, finds the document decided
    and ends in its outcome state. A document still pending is left waiting.
    """
    with res.uow() as uow:
        wait = uow.waits.of(number)
        document = uow.documents.get(number)
    status = document.payment.status if document else None
    if wait is None or res.runs is None or wait.status is Status.PENDING:
        return Outcome(number, status)
    run_id, runs = wait.flow_run_id, res.runs
    phase = runs.phase(run_id)
    if phase is RunPhase.WAITING and wait.status is Status.AUTHORIZATION_OVERDUE:
        message = f"{number}: no answer from Amazon by {wait.deadline:%H:%M:%S} UTC"
        runs.end(run_id, OVERDUE, message)
        return _forget(res, wait.number, run_id, f"run {run_id} ended {OVERDUE}")
    if phase is RunPhase.WAITING:
        answer = {"status": wait.status.value, "reason": _reason(res, number)}
        resumed = runs.resume(run_id, answer)
        note = f"run {run_id} resumed with {wait.status.value}" if resumed else "not resumed"
        return Outcome(number, status, notes=(f"{number}: {note}",))
    if phase is RunPhase.CRASHED:
        runs.retry(run_id)
        return Outcome(number, status, notes=(f"{number}: run {run_id} crashed, retried",))
    if phase in (RunPhase.ENDED, RunPhase.MISSING):
        return _forget(res, number, run_id, f"run {run_id} {phase.value}")
    return Outcome(number, status, notes=(f"{number}: run {run_id} on its way",))


def _forget(res: Resources, number: str, run_id: str, note: str) -> Outcome:
    with res.uow() as uow:
        uow.waits.forget(number, run_id)
        uow.commit()
        document = uow.documents.get(number)
    status = document.payment.status if document else None
    return Outcome(number, status, notes=(f"{number}: {note}",))


def _reason(res: Resources, number: str) -> str:
    with res.uow() as uow:
        return uow.documents.reason_of(number)

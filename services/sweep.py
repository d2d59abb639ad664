"""The sweeper's use cases: what needs Amazon work now, and one sweep over it.

A sweep first finishes calls a dead run left open, then settles the authorizations past their
timeout (ask Amazon once more, mark overdue, release the waiting run), then authorizes, polls
(young pending documents with backoff), activates, re-authorizes, refunds credit notes and
carries out the cancellations the ERP requested; last it resumes the suspended `authorize`
runs whose document is decided and retries those that crashed after resuming
(`services.authorization.release`).
Documents of another payment method get no Amazon work, and a credit note refused once is not
tried again. The `sync` flow runs the steps as chunked Prefect tasks; `amazon-payments sync`
runs them one after the other in its own process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime

from adapters.erp.work_queue import WorkQueue
from domain.next_step import healing_step
from domain.payment_status import CANCELLABLE
from services import activation, authorization, cancellation, refunds
from services.outcomes import Outcome
from services.resources import Resources
from services.steps import drive

__all__ = ["WorkQueue", "collect_work", "heal", "sweep_once", "summary"]

UseCase = Callable[[Resources, str], Outcome]
Runner = Callable[[UseCase, Resources, list[str]], dict[str, Outcome]]


def collect_work(res: Resources, limit: int) -> WorkQueue:
    """The documents that need Amazon work, sorted into the sweeper's queues."""
    with res.uow() as uow:
        settings, now = res.settings, datetime.now(UTC)
        timeout, polls = settings.authorization_timeout, settings.pending_polls_per_sweep
        queue = uow.work(now, timeout, limit, polls)
        everyone = [n for f in fields(queue) if f.name != "to_heal" for n in getattr(queue, f.name)]
        skip = uow.records.without_amazon_work(everyone, res.settings.payment_method)
    for f in fields(queue):
        if f.name != "to_heal":  # a call already sent is always finished
            setattr(queue, f.name, [n for n in getattr(queue, f.name) if n not in skip])
    return queue


def cancels_requested(res: Resources, limit: int) -> list[str]:
    """Orders whose cancellation the ERP requested and that are not cancelled yet."""
    with res.uow() as uow:
        numbers = uow.records.cancels_requested([s.value for s in CANCELLABLE], limit)
        skip = uow.records.without_amazon_work(numbers, res.settings.payment_method)
    return [n for n in numbers if n not in skip]


def heal(res: Resources, number: str) -> Outcome:
    """Finish the document's calls whose outcome was never applied (repeated as recorded)."""
    return drive(res, number, healing_step)


def sequential(use_case: UseCase, res: Resources, numbers: list[str]) -> dict[str, Outcome]:
    """Run a use case for each document, one after the other, in this process."""
    return {number: use_case(res, number) for number in numbers}


def sweep_once(
    res: Resources, limit: int, run: Runner = sequential
) -> dict[str, dict[str, Outcome]]:
    """One sweep over the work queue; step -> document number -> outcome.

    Authorizations past their timeout come first (after healing), oldest first, each settled
    in one go (`authorization.time_out`: asked once more, marked overdue, its run released);
    those whose timeout passes meanwhile are taken in the same step. So a long queue of other
    work never holds one back, and each is overdue within a sweep interval of its timeout as
    long as Amazon's Get Charge quota outpaces the timeouts.
    """
    queue = collect_work(res, limit)
    healed = run(heal, res, queue.to_heal)
    timed_out = run(authorization.time_out, res, queue.overdue_candidates)
    while later := [n for n in collect_work(res, limit).overdue_candidates if n not in timed_out]:
        timed_out |= run(authorization.time_out, res, later)
    results = {
        "heal": healed,
        "timed_out": timed_out,
        "authorize": run(authorization.authorize, res, queue.to_authorize),
        "poll": run(authorization.poll, res, queue.to_poll),
        "activate": run(activation.activate, res, queue.to_activate),
        "reauthorize": run(activation.reauthorize, res, queue.to_reauthorize),
        "refund": run(refunds.refund, res, queue.credit_notes),
        "cancel": run(_cancel, res, cancels_requested(res, limit)),
    }
    if res.runs is not None:  # suspended authorize runs: resume, heal
        decided = authorization.waiting_decided(res, limit)
        results["release"] = run(authorization.release, res, decided)
    return results


def summary(results: dict[str, dict[str, Outcome]]) -> dict[str, object]:
    """`worked` per step, and `problems`: document number -> reason."""
    problems = {n: o.problem for step in results.values() for n, o in step.items() if o.refused}
    return {"worked": {step: len(done) for step, done in results.items()}, "problems": problems}


def _cancel(res: Resources, number: str) -> Outcome:
    return cancellation.cancel(res, number)

"""Prefect tasks of the order processes: each wraps one use case of `services` and adds Prefect's
concerns (names, logging). Order tasks keep Prefect's default of no retries: a refused or failed
outcome is an answer, and a call that got no answer is repeated by the next run or sweep.

Batches run as chunk tasks (never one task per document): one generic task works through a
chunk's documents on a few threads under the client's token buckets, and any fault of one
document becomes that document's outcome instead of a failed task.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from prefect import get_run_logger, task
from prefect.cache_policies import NONE

from domain.payment_status import Status
from services import activation, authorization, cancellation, refunds
from services.outcomes import Outcome
from services.resources import Resources

CHUNK_THREADS = 4
UseCase = Callable[[Resources, str], Outcome]


def logged(outcome: Outcome) -> Outcome:
    """Log what the use case saw (total, Amazon's ids and states with their times)."""
    logger = get_run_logger()
    for line in outcome.notes:
        logger.info(line)
    return outcome


@task(cache_policy=NONE, task_run_name="authorize-{number}")
def start_authorization(res: Resources, number: str) -> Outcome:
    """Create the document's charge (idempotent) and apply Amazon's first answer."""
    return logged(authorization.authorize(res, number))


@task(cache_policy=NONE, task_run_name="wait-{number}")
def wait_for_authorization(
    res: Resources,
    number: str,
    timeout_seconds: float,
    poll_seconds: float = 2.0,
    state: str | None = None,
) -> Outcome:
    """Wait for Amazon's decision, bounded; a timeout marks the document authorization overdue.

    The store is looked at every half second (a notification reconciles the document at once,
    which ends the wait early); Amazon is asked with a backoff from `poll_seconds` up to a minute.
    """
    overdue_at = datetime.now(UTC) + timedelta(seconds=timeout_seconds)
    get_run_logger().info(
        "%s: waiting for Amazon, state %s, overdue at %s",
        number,
        state or "unknown",
        overdue_at.strftime("%H:%M:%S UTC"),
    )
    deadline = time.monotonic() + timeout_seconds
    next_poll, delay = time.monotonic() + poll_seconds, poll_seconds
    while time.monotonic() < deadline:
        if _decided(res, number):
            return logged(authorization.poll(res, number))
        if time.monotonic() >= next_poll:
            outcome = authorization.poll(res, number)
            if outcome.status is not Status.PENDING:
                return logged(outcome)
            delay = min(delay * 2, 60.0)
            next_poll = time.monotonic() + delay
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
    outcome = authorization.poll(res, number)
    if outcome.status is not Status.PENDING:
        return logged(outcome)
    return logged(authorization.mark_overdue(res, number))


@task(cache_policy=NONE, task_run_name="await-{number}")
def remember_wait(res: Resources, number: str, run_id: str, timeout_seconds: float) -> datetime:
    """Keep this run's id with the document before it suspends; the document's deadline."""
    deadline = datetime.now(UTC) + timedelta(seconds=timeout_seconds)
    authorization.await_answer(res, number, run_id, deadline)
    return deadline


def _decided(res: Resources, number: str) -> bool:
    with res.uow() as uow:
        document = uow.documents.get(number)
    return document is None or document.payment.status is not Status.PENDING


@task(cache_policy=NONE, task_run_name="activate-{number}")
def activate_document(res: Resources, number: str) -> Outcome:
    return logged(activation.activate(res, number))


@task(cache_policy=NONE, task_run_name="refund-{credit_note}")
def refund_credit_note(res: Resources, credit_note: str) -> Outcome:
    return logged(refunds.refund(res, credit_note))


@task(cache_policy=NONE, task_run_name="cancel-{number}")
def cancel_order(res: Resources, number: str, items: list[str] | None = None) -> Outcome:
    return logged(cancellation.cancel(res, number, items))


@task(cache_policy=NONE)
def chunk(use_case: UseCase, res: Resources, numbers: list[str]) -> dict[str, Outcome]:
    """Run one use case over a chunk of documents; a document's fault is its own outcome."""
    return run_chunk(use_case, res, numbers)


def run_chunk(use_case: UseCase, res: Resources, numbers: list[str]) -> dict[str, Outcome]:
    """The chunk's work, on a few threads (the client paces them under Amazon's quotas)."""

    def one(number: str) -> tuple[str, Outcome]:
        try:
            return number, use_case(res, number)
        except Exception as problem:  # one document's fault is its row, never the chunk's
            return number, Outcome(number, None, f"{type(problem).__name__}: {problem}")

    with ThreadPoolExecutor(max_workers=CHUNK_THREADS) as pool:
        return dict(pool.map(one, numbers))

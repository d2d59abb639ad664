"""Prefect tasks of the order processes: thin wrappers around `OrderSteps` and `order_actions`.

Batches run as chunk tasks (never one task per document): each chunk works through its
documents on a few threads under the client's token bucket, and a document's failure becomes a
row of the chunk's result instead of a failed task.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from prefect import task
from prefect.cache_policies import NONE

from adapters.amazon_pay import AmazonPayError
from domain.payment_status import Status
from tasks import order_actions
from tasks.order_steps import StepRefused, order_steps

CHUNK_THREADS = 4


@task(cache_policy=NONE)
def start_authorization(number: str) -> str:
    """Create the document's charge (idempotent) and apply Amazon's first answer."""
    return order_steps().authorize(number).value


@task(cache_policy=NONE)
def wait_for_authorization(number: str, timeout_seconds: float, poll_seconds: float = 2.0) -> str:
    """Wait for Amazon's decision, bounded; a timeout marks the document authorization overdue.

    The store is looked at every half second (a notification reconciles the document at once,
    which ends the wait early); Amazon is asked with a backoff from `poll_seconds` up to a minute.
    """
    steps = order_steps()
    deadline = time.monotonic() + timeout_seconds
    next_poll, delay = time.monotonic() + poll_seconds, poll_seconds
    while time.monotonic() < deadline:
        status = steps.status(number)
        if status is not Status.PENDING:
            return status.value
        if time.monotonic() >= next_poll:
            if steps.reconcile_latest_charge(number) is not Status.PENDING:
                return steps.status(number).value
            delay = min(delay * 2, 60.0)
            next_poll = time.monotonic() + delay
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
    if steps.reconcile_latest_charge(number) is not Status.PENDING:
        return steps.status(number).value
    return steps.mark_overdue(number).value


@task(cache_policy=NONE)
def activate_document(number: str) -> str:
    return order_actions.activate(order_steps(), number).value


@task(cache_policy=NONE)
def refund_credit_note(credit_note_number: str) -> str:
    return order_actions.refund(order_steps(), credit_note_number).value


@task(cache_policy=NONE)
def cancel_order(number: str, items: list[str] | None = None) -> str:
    return order_actions.cancel(order_steps(), number, items).value


def run_chunk(numbers: list[str], step: Callable[[str], Status]) -> dict[str, str]:
    """Run one step over a chunk of documents; per-document problems become results."""

    def one(number: str) -> tuple[str, str]:
        try:
            return number, step(number).value
        except (StepRefused, AmazonPayError) as problem:
            return number, f"error: {problem}"
        except Exception as problem:  # one document's fault is its row, never the chunk's
            return number, f"error: {type(problem).__name__}: {problem}"

    with ThreadPoolExecutor(max_workers=CHUNK_THREADS) as pool:
        return dict(pool.map(one, numbers))


@task(cache_policy=NONE)
def heal_chunk(numbers: list[str]) -> dict[str, str]:
    return run_chunk(numbers, order_steps().heal)


@task(cache_policy=NONE)
def authorize_chunk(numbers: list[str]) -> dict[str, str]:
    return run_chunk(numbers, order_steps().authorize)


@task(cache_policy=NONE)
def activate_chunk(numbers: list[str]) -> dict[str, str]:
    steps = order_steps()
    return run_chunk(numbers, lambda number: order_actions.activate(steps, number))


@task(cache_policy=NONE)
def reauthorize_chunk(numbers: list[str]) -> dict[str, str]:
    steps = order_steps()
    return run_chunk(numbers, lambda number: order_actions.reauthorize(steps, number))


@task(cache_policy=NONE)
def reconcile_chunk(numbers: list[str]) -> dict[str, str]:
    return run_chunk(numbers, order_steps().reconcile_latest_charge)


@task(cache_policy=NONE)
def cancel_chunk(numbers: list[str]) -> dict[str, str]:
    steps = order_steps()
    return run_chunk(numbers, lambda number: order_actions.cancel(steps, number))


@task(cache_policy=NONE)
def refund_chunk(credit_notes: list[str]) -> dict[str, str]:
    steps = order_steps()
    return run_chunk(credit_notes, lambda number: order_actions.refund(steps, number))

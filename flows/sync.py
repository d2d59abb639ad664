"""The sweeper: every document whose payment needs Amazon work, in chunks, on a schedule.

It authorizes pending orders that have no charge yet, polls while an answer is awaited (pending,
overdue with backoff until Amazon's 24 hours, capture pending), marks authorizations overdue
after the timeout, activates requested shipments (re-authorizing lapsed or short authorizations)
and refunds credit notes. Nothing is sent for a document while an earlier call is pending.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import Task, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from adapters.erp.store import UnitOfWork
from adapters.erp.work_queue import WorkQueue, find_work
from flows.orders import chunks
from tasks.orders import (
    activate_chunk,
    authorize_chunk,
    order_steps,
    reauthorize_chunk,
    reconcile_chunk,
    refund_chunk,
    run_chunk,
)


@task(cache_policy=NONE)
def collect_work(limit: int) -> WorkQueue:
    steps = order_steps()
    with UnitOfWork(steps.engine) as uow:
        return find_work(
            uow.session, datetime.now(UTC), steps.settings.authorization_timeout, limit
        )


@task(cache_policy=NONE)
def overdue_chunk(numbers: list[str]) -> dict[str, str]:
    return run_chunk(numbers, order_steps().mark_overdue)


def _run(chunk_task: Task[[list[str]], dict[str, str]], numbers: list[str]) -> dict[str, str]:
    results: dict[str, str] = {}
    for future in chunk_task.map(chunks(numbers)):
        results.update(future.result())
    return results


@flow(name="sync")
def sync(limit: int = 5000) -> dict[str, int]:
    """One sweep over the work queue; returns how many documents each step touched."""
    queue = collect_work(limit)
    results = {
        "authorize": _run(authorize_chunk, queue.to_authorize),
        "poll": _run(reconcile_chunk, queue.to_poll),
        "activate": _run(activate_chunk, queue.to_activate),
        "reauthorize": _run(reauthorize_chunk, queue.to_reauthorize),
        "refund": _run(refund_chunk, queue.credit_notes),
    }
    still_pending = [n for n in queue.overdue_candidates if results["poll"].get(n) == "pending"]
    results["overdue"] = _run(overdue_chunk, still_pending)
    errors = {n: r for step in results.values() for n, r in step.items() if r.startswith("error")}
    summary = {step: len(done) for step, done in results.items()} | {"errors": len(errors)}
    lines = [f"| {step} | {count} |" for step, count in summary.items()]
    create_markdown_artifact(
        key="sync-summary",
        markdown="| step | documents |\n|---|---|\n"
        + "\n".join(lines)
        + "".join(f"\n\n- {n}: {r}" for n, r in list(errors.items())[:50]),
    )
    get_run_logger().info("sweep: %s", summary)
    return summary

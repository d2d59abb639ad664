"""The sweeper: every document whose payment needs Amazon work, in chunks, on a schedule.

First it finishes the Amazon calls that a dead run left unapplied (repeated exactly as recorded,
with their keys). Then it authorizes pending orders that have no charge yet, polls while an
answer is awaited (pending, overdue with backoff until Amazon's 24 hours, capture pending),
marks authorizations overdue after the timeout, activates requested shipments (re-authorizing
lapsed or short authorizations) and refunds credit notes. Nothing is sent for a document while
an earlier call is pending.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from adapters.erp.store import UnitOfWork
from adapters.erp.work_queue import WorkQueue, find_work
from flows.orders import run_chunks
from tasks.orders import (
    activate_chunk,
    authorize_chunk,
    heal_chunk,
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


@flow(name="sync")
def sync(limit: int = 5000) -> dict[str, int]:
    """One sweep over the work queue; returns how many documents each step touched."""
    queue = collect_work(limit)
    results = {
        "heal": run_chunks(heal_chunk, queue.to_heal),
        "authorize": run_chunks(authorize_chunk, queue.to_authorize),
        "poll": run_chunks(reconcile_chunk, queue.to_poll),
        "activate": run_chunks(activate_chunk, queue.to_activate),
        "reauthorize": run_chunks(reauthorize_chunk, queue.to_reauthorize),
        "refund": run_chunks(refund_chunk, queue.credit_notes),
    }
    still_pending = [n for n in queue.overdue_candidates if results["poll"].get(n) == "pending"]
    results["overdue"] = run_chunks(overdue_chunk, still_pending)
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

"""The sweeper: every document whose payment needs Amazon work, in chunks, on a schedule.

First it finishes the Amazon calls that a dead run left unapplied (repeated exactly as recorded,
with their keys). Then it authorizes pending orders that have no charge yet, polls while an
answer is awaited (pending, overdue with backoff until Amazon's 24 hours, capture pending),
marks authorizations overdue after the timeout, activates requested shipments (re-authorizing
lapsed or short authorizations) and refunds credit notes. Nothing is sent for a document while
an earlier call is pending.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from domain.payment_status import Status
from flows.orders import run_chunks
from services import activation, authorization, refunds, sweep
from services.resources import Resources, resources
from services.sweep import WorkQueue


@task(cache_policy=NONE)
def collect_work(res: Resources, limit: int) -> WorkQueue:
    return sweep.collect_work(res, limit)


@flow(name="sync")
def sync(limit: int = 5000) -> dict[str, int]:
    """One sweep over the work queue; returns how many documents each step touched."""
    with resources() as res:
        queue = collect_work(res, limit)
        results = {
            "heal": run_chunks(sweep.heal, res, queue.to_heal),
            "authorize": run_chunks(authorization.authorize, res, queue.to_authorize),
            "poll": run_chunks(authorization.poll, res, queue.to_poll),
            "activate": run_chunks(activation.activate, res, queue.to_activate),
            "reauthorize": run_chunks(activation.reauthorize, res, queue.to_reauthorize),
            "refund": run_chunks(refunds.refund, res, queue.credit_notes),
        }
        polled = results["poll"]
        still_pending = [
            n
            for n in queue.overdue_candidates
            if n in polled and polled[n].status is Status.PENDING
        ]
        results["overdue"] = run_chunks(authorization.mark_overdue, res, still_pending)
    errors = {n: o.problem for step in results.values() for n, o in step.items() if o.refused}
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

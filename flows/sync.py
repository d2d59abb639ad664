"""The sweeper: every document whose payment needs Amazon work, in chunks, on a schedule.

First it finishes the Amazon calls that a dead run left unapplied (repeated exactly as recorded,
with their keys). Then it authorizes pending orders that have no charge yet, polls while an
answer is awaited (pending, overdue with backoff until Amazon's 24 hours, capture pending),
marks authorizations overdue after the timeout, activates requested shipments (re-authorizing
lapsed or short authorizations), refunds credit notes and carries out the cancellations the
ERP requested (`services.sweep.sweep_once`, shared with `amazon-payments sync`). Nothing is sent
for a document while an earlier call is pending.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.orders import run_chunks
from services import sweep
from services.resources import resources


@flow(name="sync")
def sync(limit: int = 5000) -> dict[str, int]:
    """One sweep over the work queue; returns how many documents each step touched."""
    with resources() as res:
        results = sweep.sweep_once(res, limit, run_chunks)
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

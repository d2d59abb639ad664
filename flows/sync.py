"""The sweeper: every document whose payment needs Amazon work, in chunks, on a schedule.

First it finishes the Amazon calls that a dead run left unapplied (repeated exactly as recorded,
with their keys). Then it settles the authorizations past their timeout (Amazon asked once
more, still undecided: overdue, the waiting run ended), authorizes pending orders that have no
charge yet, polls while an answer is awaited (pending with backoff, overdue with backoff until
Amazon's 24 hours, capture pending), activates requested shipments (re-authorizing
lapsed or short authorizations), refunds credit notes and carries out the cancellations the
ERP requested (`services.sweep.sweep_once`, shared with `amazon-payments sync`). Nothing is sent
for a document while an earlier call is pending.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed, Failed, State

from flows.orders import run_chunks
from services import sweep
from services.resources import resources
from tasks.open_items import publish_open_items


def sync_run_name() -> str:
    """`sync-<UTC time>`, so each sweep is found by when it ran."""
    return f"sync-{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"


@flow(name="sync", flow_run_name=sync_run_name)
def sync(limit: int = 5000) -> State:
    """One sweep over the work queue, then the open items published as the `open-items` table.

    The run's data is how many documents each step touched (`errors`: documents with a
    problem). It ends Completed (named Swept) when every document got its answer — a refusal
    that needs a person is an open item, not a failure — and Failed, named Errors, after
    publishing its summary, when some document's work failed outright (a store or Amazon fault).
    """
    with resources() as res:
        results = sweep.sweep_once(res, limit, run_chunks)
        open_items = publish_open_items(res)
    problems = {n: o.problem for step in results.values() for n, o in step.items() if o.refused}
    faults = {n: o.problem for step in results.values() for n, o in step.items() if o.failed}
    summary = {step: len(done) for step, done in results.items()} | {
        "errors": len(problems),
        "open_items": open_items,
    }
    lines = [f"| {step} | {count} |" for step, count in summary.items()]
    create_markdown_artifact(
        key="sync-summary",
        markdown="| step | documents |\n|---|---|\n"
        + "\n".join(lines)
        + "".join(f"\n\n- {n}: {r}" for n, r in list(problems.items())[:50]),
    )
    get_run_logger().info("sweep: %s", summary)
    if faults:
        shown = "; ".join(f"{n}: {r}" for n, r in list(faults.items())[:20])
        return Failed(
            name="Errors", message=f"{len(faults)} document(s) failed: {shown}", data=summary
        )
    worked = sum(len(done) for done in results.values())
    message = f"{worked} document(s) worked, {open_items} open item(s)"
    return Completed(name="Swept", message=message, data=summary)

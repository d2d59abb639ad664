"""The order processes as Prefect flows: one per process, per document or in batches.

Each flow builds the resources from the environment at its entry and hands them down; nothing
is cached between runs. Per-document runs are named after the document (`authorize-HB100042`)
so the back office finds and retries them in the UI. A run ends in a state named for the
business outcome (`flows.outcome_states`): Completed as Accepted, Overdue, Activated,
CapturePending, RefundPending, Refunded, Cancelled; Failed, with the reason as the message, as
Declined, CaptureDeclined, RefundDeclined or Refused (not accepted, switch off, single items).
An authorization timeout is Amazon's slowness, not an error: the run completes as Overdue.

A deployed `authorize` run that gets AuthorizationInitiated suspends itself (its process and
work-pool slot are released) after keeping its id with the document; it is resumed by whoever
applies Amazon's answer, starts again from the top, finds the document decided and ends in its
outcome state; at the timeout the sweeper ends it Overdue without running it
(`services.authorization.release`). Called directly (no deployment: nothing could run it
again), the run waits in its process as before.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import uuid4

from prefect import flow, get_run_logger, unmapped
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import deployment as this_deployment
from prefect.runtime import flow_run as this_run
from prefect.states import State

from domain.payment_status import Status
from flows.outcome_states import end_state
from services import activation, authorization, cancellation, refunds
from services.outcomes import Outcome
from services.resources import Resources, resources
from tasks.orders import (
    UseCase,
    activate_document,
    cancel_order,
    chunk,
    refund_credit_note,
    remember_wait,
    start_authorization,
    wait_for_authorization,
)

CHUNK = 200
# Prefect's own suspension timeout, beyond the authorization timeout: the sweeper ends the run
# Overdue at the authorization timeout; Prefect's expiry (Failed) is only the last resort.
SUSPENSION_MARGIN = timedelta(hours=24)


class AuthorizationAnswer(RunInput):
    """What resumes a waiting `authorize` run: the status Amazon's answer gave the document."""

    status: str
    reason: str = ""


class QuietSuspension(logging.Filter):
    """Drops Prefect's two generic lines about a suspension, so the UI's last line of a waiting
    run is the module's own: the document and its deadline (`tasks.orders.remember_wait`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not message.startswith(("Suspending flow run", "Finished in state Suspended"))


def chunks(numbers: list[str], size: int = CHUNK) -> list[list[str]]:
    return [numbers[i : i + size] for i in range(0, len(numbers), size)]


def finished(outcome: Outcome) -> State:
    """The run's end: a state named for the business outcome (`flows.outcome_states`)."""
    state = end_state(outcome)
    get_run_logger().info("%s", state.message)
    return state


@flow(name="authorize", flow_run_name="authorize-{number}")
def authorize(number: str, timeout_seconds: float | None = None) -> State:
    """Authorize a pending order and wait for Amazon's answer, bounded by the timeout."""
    with resources() as res:
        timeout = timeout_seconds or res.settings.authorization_timeout_seconds
        outcome = start_authorization(res, number)
        suspending = outcome.status is Status.PENDING and this_deployment.id is not None
        if suspending:
            deadline = remember_wait(res, number, str(this_run.id), timeout)
        elif outcome.status is Status.PENDING:
            outcome = wait_for_authorization(res, number, timeout, state=outcome.charge_state)
    if suspending:
        limit = timeout + SUSPENSION_MARGIN.total_seconds()
        logging.getLogger("prefect.flow_runs").addFilter(QuietSuspension())
        get_run_logger().info(  # the last line of the waiting run in the UI
            "%s: suspended while Amazon decides (AuthorizationInitiated); overdue at %s",
            number,
            deadline.strftime("%Y-%m-%d %H:%M:%S UTC"),
        )
        suspend_flow_run(wait_for_input=AuthorizationAnswer, timeout=int(limit), key=uuid4().hex)
        # Not reached: suspending ends this process (Pause); a resumed run starts again from
        # the top, finds the document decided and ends above. A fresh key per suspension: a
        # run resumed while its document is still pending suspends again.
        raise RuntimeError(f"{number}: resumed without restarting")
    return finished(outcome)


@flow(name="activate", flow_run_name="activate-{number}")
def activate(number: str) -> State:
    """Shipment confirmation: capture the document's current gross total."""
    with resources() as res:
        return finished(activate_document(res, number))


@flow(name="refund", flow_run_name="refund-{credit_note}")
def refund(credit_note: str) -> State:
    """Refund a credit note (full or partial) against its order's capture."""
    with resources() as res:
        return finished(refund_credit_note(res, credit_note))


@flow(name="cancel", flow_run_name="cancel-{number}")
def cancel(number: str, items: list[str] | None = None) -> State:
    """Cancel a whole order that is not activated; single items are refused."""
    with resources() as res:
        return finished(cancel_order(res, number, items))


def run_chunks(use_case: UseCase, res: Resources, numbers: list[str]) -> dict[str, Outcome]:
    """Map the chunk task over the numbers, 200 a chunk; document number -> outcome."""
    results: dict[str, Outcome] = {}
    for future in chunk.map(unmapped(use_case), unmapped(res), chunks(numbers)):
        results.update(future.result())
    return results


def described(outcomes: dict[str, Outcome]) -> dict[str, str]:
    """A batch's result as the UI shows it: the status reached, or `error: <why>`."""
    return {number: outcome.describe() for number, outcome in outcomes.items()}


@flow(name="authorize-batch")
def authorize_batch(numbers: list[str]) -> dict[str, str]:
    """Create the charges of many pending orders; the sweeper follows up on pending answers."""
    with resources() as res:
        return described(run_chunks(authorization.authorize, res, numbers))


@flow(name="activate-batch")
def activate_batch(numbers: list[str]) -> dict[str, str]:
    """Activate many documents in chunk tasks under the client-side rate limit."""
    with resources() as res:
        return described(run_chunks(activation.activate, res, numbers))


@flow(name="refund-batch")
def refund_batch(credit_notes: list[str]) -> dict[str, str]:
    """Refund many credit notes."""
    with resources() as res:
        return described(run_chunks(refunds.refund, res, credit_notes))


@flow(name="cancel-batch")
def cancel_batch(numbers: list[str]) -> dict[str, str]:
    """Cancel many whole orders; each one that cannot be cancelled says why in the result."""
    with resources() as res:
        return described(run_chunks(cancellation.cancel, res, numbers))

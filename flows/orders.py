"""The order processes as Prefect flows: one per process, per document or in batches.

Per-document runs are named after the document (`authorize-HB100042`) so the back office finds
and retries them in the UI. A refused request (activating an order that is not accepted,
cancelling single items) ends the run Failed with the reason as its message. An authorization
timeout is a normal outcome: the run completes with `authorization_overdue`.
"""

from __future__ import annotations

from prefect import Task, flow, get_run_logger

from adapters.settings import ModuleSettings
from tasks.orders import (
    activate_chunk,
    activate_document,
    authorize_chunk,
    cancel_chunk,
    cancel_order,
    refund_chunk,
    refund_credit_note,
    start_authorization,
    wait_for_authorization,
)

CHUNK = 200


def chunks(numbers: list[str], size: int = CHUNK) -> list[list[str]]:
    return [numbers[i : i + size] for i in range(0, len(numbers), size)]


@flow(name="authorize", flow_run_name="authorize-{number}")
def authorize(number: str, timeout_seconds: float | None = None) -> str:
    """Authorize a pending order and wait for Amazon's answer, bounded by the timeout."""
    timeout = timeout_seconds or ModuleSettings().authorization_timeout_seconds
    status = start_authorization(number)
    if status == "pending":
        status = wait_for_authorization(number, timeout)
    get_run_logger().info("%s: %s", number, status)
    return status


@flow(name="activate", flow_run_name="activate-{number}")
def activate(number: str) -> str:
    """Shipment confirmation: capture the document's current gross total."""
    return activate_document(number)


@flow(name="refund", flow_run_name="refund-{credit_note}")
def refund(credit_note: str) -> str:
    """Refund a credit note (full or partial) against its order's capture."""
    return refund_credit_note(credit_note)


@flow(name="cancel", flow_run_name="cancel-{number}")
def cancel(number: str, items: list[str] | None = None) -> str:
    """Cancel a whole order that is not activated; single items are refused."""
    return cancel_order(number, items)


def run_chunks(chunk_task: Task[[list[str]], dict[str, str]], numbers: list[str]) -> dict[str, str]:
    """Map a chunk task over the numbers, 200 a chunk; document number -> outcome."""
    results: dict[str, str] = {}
    for future in chunk_task.map(chunks(numbers)):
        results.update(future.result())
    return results


@flow(name="authorize-batch")
def authorize_batch(numbers: list[str]) -> dict[str, str]:
    """Create the charges of many pending orders; the sweeper follows up on pending answers."""
    return run_chunks(authorize_chunk, numbers)


@flow(name="activate-batch")
def activate_batch(numbers: list[str]) -> dict[str, str]:
    """Activate many documents in chunk tasks under the client-side rate limit."""
    return run_chunks(activate_chunk, numbers)


@flow(name="refund-batch")
def refund_batch(credit_notes: list[str]) -> dict[str, str]:
    """Refund many credit notes."""
    return run_chunks(refund_chunk, credit_notes)


@flow(name="cancel-batch")
def cancel_batch(numbers: list[str]) -> dict[str, str]:
    """Cancel many whole orders; each one that cannot be cancelled says why in the result."""
    return run_chunks(cancel_chunk, numbers)

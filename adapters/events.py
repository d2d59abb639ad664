"""Applied status changes as Prefect events: `amazon-payments.document.<status>`.

The resource is `amazon-payments.document.<number>`; the payload holds the amounts (decimal
strings), the currency, the event and the reason — never a buyer's address or a key. Events are
sent only where a Prefect API is configured (`PREFECT_API_URL`) or inside a flow run; elsewhere
(the command line on its own, tests of the store) there is nobody to tell.
"""

from __future__ import annotations

import os
import sys

from adapters.erp.changes import Publisher, StatusChange
from domain.money import Money


def prefect_publisher() -> Publisher | None:
    """The Prefect publisher where a Prefect API is reachable, else None."""
    if os.environ.get("PREFECT_API_URL") or _in_flow_run():
        return emit_status_changes
    return None


def emit_status_changes(changes: list[StatusChange]) -> None:
    from prefect.events import emit_event

    for change in changes:
        emit_event(
            event=f"amazon-payments.document.{change.after}",
            resource={
                "prefect.resource.id": f"amazon-payments.document.{change.number}",
                "prefect.resource.name": change.number,
            },
            payload=payload(change),
            occurred=change.at,
        )


def payload(change: StatusChange) -> dict[str, str]:
    def amount(minor: int) -> str:
        return str(Money.from_minor(minor, change.currency).amount)

    return {
        "number": change.number,
        "type": change.doc_type,
        "event": change.event,
        "from": change.before,
        "to": change.after,
        "reason": change.reason,
        "currency": change.currency,
        "amount": amount(change.gross_minor),
        "captured": amount(change.captured_minor),
        "refunded": amount(change.refunded_minor),
    }


def _in_flow_run() -> bool:
    if "prefect" not in sys.modules:  # nothing of Prefect loaded: certainly no run
        return False
    from prefect.context import FlowRunContext

    return FlowRunContext.get() is not None

"""Applied status changes, published once their transaction has committed.

`watch` collects the history rows of applied status changes as the session flushes them and
hands them to a publisher after the commit (never for a rollback), so what is published is
what the store shows. The publisher must not raise into the use case: a lost event is a
missing line in the UI's feed, never a lost payment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from adapters.erp.schema import DocumentRow, StatusEventRow, utcnow

log = logging.getLogger(__name__)

# History rows that are not a change of the payment status: a change of the document's type
# or total, a cancellation request, a credit note written for an order.
NOT_STATUS = frozenset({"type_changed", "changed", "cancel_requested", "credit_note"})


@dataclass(frozen=True)
class StatusChange:
    """One applied change of a document's payment status; amounts in minor units."""

    number: str
    doc_type: str
    event: str
    before: str
    after: str
    reason: str
    currency: str
    gross_minor: int
    captured_minor: int
    refunded_minor: int
    at: datetime


Publisher = Callable[[list[StatusChange]], None]


def watch(session: Session, publish: Publisher) -> None:
    """Publish the session's applied status changes after each commit."""
    pending: list[StatusChange] = []

    def collect(session: Session, *_: Any) -> None:
        for row in session.new:
            if (
                isinstance(row, StatusEventRow)
                and row.applied
                and row.event not in NOT_STATUS
                and row.from_status != row.to_status
            ):
                document = session.get(DocumentRow, row.document_id)
                if document is not None:
                    pending.append(_change(document, row))

    def committed(_session: Session) -> None:
        changes = pending[:]
        pending.clear()
        if changes:
            try:
                publish(changes)
            except Exception:  # the change is committed: a lost event is only a lost line
                log.warning("status changes not published", exc_info=True)

    event.listen(session, "before_flush", collect)
    event.listen(session, "after_commit", committed)
    event.listen(session, "after_soft_rollback", lambda *_: pending.clear())


def _change(document: DocumentRow, row: StatusEventRow) -> StatusChange:
    gross = sum(item.quantity * item.unit_price_minor for item in document.items)
    return StatusChange(
        number=document.number,
        doc_type=document.doc_type,
        event=row.event,
        before=row.from_status,
        after=row.to_status,
        reason=row.detail or "",
        currency=document.currency,
        gross_minor=gross,
        captured_minor=document.captured_minor,
        refunded_minor=document.refunded_minor,
        at=row.created_at or utcnow(),
    )

"""What the sweeper has to do: documents whose payment state needs Amazon work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.erp.amazon_refs import AmazonRefs
from adapters.erp.calls import CallJournal
from adapters.erp.schema import AmazonCallRow, AmazonRefRow, DocumentRow, as_utc
from domain.amazon_answers import ChargeState
from domain.documents import DocumentType
from domain.payment_status import Status
from domain.polling import overdue_poll_due, pending_poll_due

LIVE = [ChargeState.AUTHORIZATION_INITIATED, ChargeState.AUTHORIZED, ChargeState.CAPTURE_INITIATED]
NEEDS_AMAZON = [
    Status.PENDING,
    Status.AUTHORIZATION_OVERDUE,
    Status.REAUTHORIZATION,
    Status.ACTIVATION_REQUESTED,
    Status.CAPTURE_PENDING,
]


@dataclass
class WorkQueue:
    to_heal: list[str] = field(default_factory=list)  # a call whose outcome was never applied
    to_authorize: list[str] = field(
        default_factory=list
    )  # pending or re-authorizing, no live charge
    overdue_candidates: list[str] = field(default_factory=list)  # pending past the timeout
    to_poll: list[str] = field(default_factory=list)  # an answer is awaited from Amazon
    to_activate: list[str] = field(default_factory=list)
    to_reauthorize: list[str] = field(default_factory=list)  # the authorization lapsed
    credit_notes: list[str] = field(default_factory=list)


def find_work(
    session: Session, now: datetime, timeout: timedelta, limit: int, pending_polls: int
) -> WorkQueue:
    """Sort the documents that need Amazon work into the sweeper's queues.

    Pending documents past the timeout are always looked at, oldest first, in their own queue
    (the sweep decides them before anything else). Younger pending ones wait for Amazon's
    notification in a suspended run; the sweeper's poll is only the safety net, so each is
    polled with backoff (`domain.polling`) and at most `pending_polls` of them per sweep,
    oldest first: polling all of them every sweep would spend Amazon's Get Charge quota
    (4 a second) and delay the timed-out ones.
    """
    queue = WorkQueue()
    live = select(AmazonRefRow.document_id).where(
        AmazonRefRow.kind == "charge",
        AmazonRefRow.state.in_(LIVE),
    )
    rows = session.execute(
        select(DocumentRow.number, DocumentRow.payment_status, DocumentRow.created_at,
               DocumentRow.id.in_(live))
        .where(DocumentRow.payment_status.in_(NEEDS_AMAZON))
        .where(DocumentRow.doc_type == DocumentType.ORDER)
        .order_by(DocumentRow.updated_at, DocumentRow.id)
        .limit(limit)
    ).all()  # fmt: skip
    awaited = [
        row[0]
        for row in rows
        if row[1] == Status.AUTHORIZATION_OVERDUE or (row[1] == Status.PENDING and row[3])
    ]
    polled = _last_polls(session, awaited)
    timed_out: list[tuple[datetime, str]] = []
    young: list[tuple[datetime, str]] = []
    for number, stored, created, has_live_charge in rows:
        status = Status(stored)
        if status is Status.ACTIVATION_REQUESTED:
            queue.to_activate.append(number)
        elif status is Status.REAUTHORIZATION:
            queue.to_reauthorize.append(number)
        elif status is Status.PENDING and not has_live_charge:
            queue.to_authorize.append(number)
        elif status is Status.PENDING and now - created >= timeout:
            timed_out.append((created, number))
        elif status is Status.PENDING:
            if pending_poll_due(now, created, polled.get(number)):
                young.append((created, number))
        elif status is Status.CAPTURE_PENDING:
            queue.to_poll.append(number)
        elif overdue_poll_due(now, created, polled.get(number)):
            queue.to_poll.append(number)  # overdue and due for a look
    queue.overdue_candidates = [number for _, number in sorted(timed_out)]
    queue.to_poll = [number for _, number in sorted(young)[:pending_polls]] + queue.to_poll
    queue.credit_notes = AmazonRefs(session).credit_notes_to_refund(limit)
    queue.to_heal = CallJournal(session).numbers_with_open_calls(limit)
    return queue


def _last_polls(session: Session, numbers: list[str]) -> dict[str, datetime]:
    """When Amazon was last asked about each document's charge (from the audit log)."""
    if not numbers:
        return {}
    query = (
        select(DocumentRow.number, func.max(AmazonCallRow.created_at))
        .join(AmazonCallRow, AmazonCallRow.document_id == DocumentRow.id)
        .where(DocumentRow.number.in_(numbers), AmazonCallRow.operation == "get_charge")
        .group_by(DocumentRow.number)
    )
    return {number: as_utc(at) for number, at in session.execute(query)}

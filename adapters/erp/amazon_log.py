"""The audit log of Amazon calls and the Amazon references of documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.erp.schema import AmazonCallRow, AmazonRefRow, DocumentRow, StatusEventRow, utcnow


def record_call(
    session: Session, document_id: int | None, operation: str, key: str | None, request: dict
) -> AmazonCallRow:
    """Record a call before it is sent; a key recorded already returns its earlier row."""
    if key is not None:
        earlier = session.scalars(select(AmazonCallRow).where(AmazonCallRow.idempotency_key == key))
        row = earlier.one_or_none()
        if row is not None:
            return row
    row = AmazonCallRow(
        document_id=document_id, operation=operation, idempotency_key=key, request=request
    )
    session.add(row)
    session.flush()
    return row


def record_answer(
    session: Session,
    call_id: int,
    response: dict | None,
    http_status: int | None,
    error: str | None,
) -> None:
    """Store what Amazon answered (or the error) on a recorded call."""
    row = session.get(AmazonCallRow, call_id)
    if row is None:
        raise KeyError(call_id)
    row.response, row.http_status, row.error, row.answered_at = (
        response,
        http_status,
        error,
        utcnow(),
    )


def count_calls(session: Session, document_id: int, operation: str) -> int:
    """How many calls of an operation were recorded for a document."""
    query = select(func.count()).where(
        AmazonCallRow.document_id == document_id, AmazonCallRow.operation == operation
    )
    return session.scalar(query) or 0


def save_ref(
    session: Session,
    document_id: int,
    kind: str,
    amazon_id: str,
    state: str | None,
    amount_minor: int | None = None,
    currency: str | None = None,
) -> AmazonRefRow:
    """Insert or update the document's reference to an Amazon object."""
    row = session.scalars(select(AmazonRefRow).where(AmazonRefRow.amazon_id == amazon_id)).first()
    if row is None:
        row = AmazonRefRow(document_id=document_id, kind=kind, amazon_id=amazon_id)
        session.add(row)
    if row.document_id != document_id:
        raise ValueError(f"{kind} {amazon_id} belongs to another document")
    row.state = state
    if amount_minor is not None:
        row.amount_minor, row.currency = amount_minor, currency
    session.flush()
    return row


@dataclass(frozen=True)
class Ref:
    """A document's reference to an Amazon object, as plain data."""

    kind: str
    amazon_id: str
    state: str | None
    amount_minor: int | None


@dataclass(frozen=True)
class Owner:
    """The document an Amazon object belongs to."""

    number: str
    refers_to: str | None
    kind: str


def ensure_ref(session: Session, document_id: int, kind: str, amazon_id: str) -> None:
    """Make sure the document references the Amazon object; an existing row is left as it is."""
    found = session.scalar(
        select(AmazonRefRow.document_id).where(AmazonRefRow.amazon_id == amazon_id)
    )
    if found is None:
        session.add(AmazonRefRow(document_id=document_id, kind=kind, amazon_id=amazon_id))
        session.flush()
    elif found != document_id:
        raise ValueError(f"{kind} {amazon_id} belongs to another document")


def refs(session: Session, document_id: int, kind: str) -> list[Ref]:
    """The document's references of one kind, oldest first."""
    query = select(AmazonRefRow).where(
        AmazonRefRow.document_id == document_id, AmazonRefRow.kind == kind
    )
    rows = session.scalars(query.order_by(AmazonRefRow.id))
    return [Ref(row.kind, row.amazon_id, row.state, row.amount_minor) for row in rows]


def owner_of(session: Session, amazon_id: str) -> Owner | None:
    """The document an Amazon object belongs to."""
    query = (
        select(DocumentRow.number, DocumentRow.refers_to, AmazonRefRow.kind)
        .join(AmazonRefRow, AmazonRefRow.document_id == DocumentRow.id)
        .where(AmazonRefRow.amazon_id == amazon_id)
    )
    found = session.execute(query).first()
    return None if found is None else Owner(*found)


def document_id(session: Session, number: str) -> int:
    """The row id of a document number; KeyError when the store does not hold it."""
    found = session.scalar(select(DocumentRow.id).where(DocumentRow.number == number))
    if found is None:
        raise KeyError(f"no document {number}")
    return found


def numbers_in_status(session: Session, statuses: list[str], limit: int) -> list[str]:
    """Document numbers whose payment status is one of `statuses`, oldest change first."""
    query = (
        select(DocumentRow.number)
        .where(DocumentRow.payment_status.in_(statuses))
        .order_by(DocumentRow.updated_at, DocumentRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def touched_before(session: Session, number: str) -> datetime:
    """When the document's payment status last changed."""
    value = session.scalar(select(DocumentRow.updated_at).where(DocumentRow.number == number))
    if value is None:
        raise KeyError(number)
    return value


def credit_notes_to_refund(session: Session, limit: int) -> list[str]:
    """Credit notes of orders that have no refund yet, or whose refund is still in progress."""
    refunds = select(AmazonRefRow.document_id).where(AmazonRefRow.kind == "refund")
    pending = select(AmazonRefRow.document_id).where(
        AmazonRefRow.kind == "refund", AmazonRefRow.state == "RefundInitiated"
    )
    query = (
        select(DocumentRow.number)
        .where(DocumentRow.doc_type == "credit_note", DocumentRow.refers_to.is_not(None))
        .where(DocumentRow.id.not_in(refunds) | DocumentRow.id.in_(pending))
        .order_by(DocumentRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def activation_outstanding(session: Session, document_id: int) -> bool:
    """Whether the document's latest shipment request still waits for its capture."""
    query = (
        select(StatusEventRow.event)
        .where(StatusEventRow.document_id == document_id, StatusEventRow.applied.is_(True))
        .where(StatusEventRow.event.in_(["activation_requested", "captured", "capture_declined"]))
        .order_by(StatusEventRow.id.desc())
        .limit(1)
    )
    return session.scalar(query) == "activation_requested"

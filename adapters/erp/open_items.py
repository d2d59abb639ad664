"""The store's side of the open items: documents in a status that may need a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.erp.schema import AmazonRefRow, DocumentRow, ItemRow, StatusEventRow, as_utc
from domain.money import Money
from domain.open_items import AUTHORIZATION_LIFETIME, EXPIRY_WARNING, WHY, Candidate
from domain.payment_status import Status

WATCHED = [status.value for status in WHY] + [Status.ACCEPTED.value, "refused", "declined"]


def candidates(session: Session, now: datetime, limit: int) -> list[Candidate]:
    """Documents in a watched status, with their total, since when and the stored reason;
    accepted orders only when their authorization is near its expiry."""
    gross = (
        select(func.coalesce(func.sum(ItemRow.quantity * ItemRow.unit_price_minor), 0))
        .where(ItemRow.document_id == DocumentRow.id)
        .scalar_subquery()
    )
    since = (
        select(func.max(StatusEventRow.created_at))
        .where(StatusEventRow.document_id == DocumentRow.id, StatusEventRow.applied.is_(True))
        .where(StatusEventRow.to_status == DocumentRow.payment_status)
        .scalar_subquery()
    )
    charged = (
        select(func.max(AmazonRefRow.created_at))
        .where(AmazonRefRow.document_id == DocumentRow.id, AmazonRefRow.kind == "charge")
        .scalar_subquery()
    )
    query = (
        select(
            DocumentRow.number,
            DocumentRow.doc_type,
            DocumentRow.payment_status,
            DocumentRow.currency,
            gross,
            since,
            DocumentRow.created_at,
            DocumentRow.status_reason,
            charged,
        )
        .where(DocumentRow.payment_status.in_(WATCHED))
        .where(
            (DocumentRow.payment_status != Status.ACCEPTED)
            | (charged <= now - (AUTHORIZATION_LIFETIME - EXPIRY_WARNING))
        )
        .order_by(DocumentRow.updated_at)
        .limit(limit)
    )
    found = []
    for (
        number,
        doc_type,
        status,
        currency,
        total,
        entered,
        created,
        reason,
        authorized,
    ) in session.execute(query):
        found.append(
            Candidate(
                number=number,
                doc_type=doc_type,
                status=status,
                gross_total=Money.from_minor(int(total), currency),
                since=as_utc(entered or created),
                reason=reason or "",
                authorized_at=as_utc(authorized) if authorized else None,
            )
        )
    return found

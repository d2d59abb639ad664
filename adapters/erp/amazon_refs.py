"""The Amazon references of documents (charge permission, charges, refunds) and their owners."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from adapters.erp.schema import AmazonRefRow, DocumentRow, StatusEventRow
from domain.amazon_answers import RefundState
from domain.documents import DocumentType
from domain.next_step import Ref
from domain.payment_status import Event


@dataclass(frozen=True)
class Owner:
    """The document an Amazon object belongs to."""

    number: str
    refers_to: str | None
    kind: str


class AmazonRefs:
    """The documents' references to Amazon objects (`amazon_refs`) behind the unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record_state(
        self,
        document_id: int,
        kind: str,
        amazon_id: str,
        state: str,
        amount_minor: int | None = None,
        currency: str | None = None,
    ) -> bool:
        """Store an Amazon object's state on its document's reference; True when it moved (news).

        The conditional update comes first in the outcome's transaction: it takes the row's write
        lock, so of two processes applying the same state only one sees it move.
        """
        found = self.session.scalar(
            select(AmazonRefRow.document_id).where(AmazonRefRow.amazon_id == amazon_id)
        )
        if found is None:
            self.session.add(
                AmazonRefRow(
                    document_id=document_id,
                    kind=kind,
                    amazon_id=amazon_id,
                    state=state,
                    amount_minor=amount_minor,
                    currency=currency,
                )
            )
            self.session.flush()
            return True
        if found != document_id:
            raise ValueError(f"{kind} {amazon_id} belongs to another document")
        values: dict[str, object] = {"state": state}
        if amount_minor is not None:
            values |= {"amount_minor": amount_minor, "currency": currency}
        moved = self.session.execute(
            update(AmazonRefRow)
            .where(AmazonRefRow.amazon_id == amazon_id)
            .where((AmazonRefRow.state.is_(None)) | (AmazonRefRow.state != state))
            .values(**values)
        )
        return cast(CursorResult[Any], moved).rowcount == 1  # an UPDATE's result counts rows

    def refs(self, document_id: int, kind: str) -> list[Ref]:
        """The document's references of one kind, oldest first."""
        query = select(AmazonRefRow).where(
            AmazonRefRow.document_id == document_id, AmazonRefRow.kind == kind
        )
        rows = self.session.scalars(query.order_by(AmazonRefRow.id))
        return [Ref(row.kind, row.amazon_id, row.state, row.amount_minor) for row in rows]

    def owner_of(self, amazon_id: str) -> Owner | None:
        """The document an Amazon object belongs to."""
        query = (
            select(DocumentRow.number, DocumentRow.refers_to, AmazonRefRow.kind)
            .join(AmazonRefRow, AmazonRefRow.document_id == DocumentRow.id)
            .where(AmazonRefRow.amazon_id == amazon_id)
        )
        found = self.session.execute(query).first()
        return None if found is None else Owner(*found)

    def refunded_minor(self, order_number: str) -> int:
        """What Amazon refunded on an order, by its credit notes' Refunded refunds (minor units)."""
        notes = select(DocumentRow.id).where(DocumentRow.refers_to == order_number)
        query = select(func.coalesce(func.sum(AmazonRefRow.amount_minor), 0)).where(
            AmazonRefRow.kind == "refund",
            AmazonRefRow.state == RefundState.REFUNDED,
            AmazonRefRow.document_id.in_(notes),
        )
        return int(self.session.scalar(query) or 0)

    def credit_notes_to_refund(self, limit: int) -> list[str]:
        """Credit notes of orders that have no refund yet, or whose refund is still in progress."""
        refunds = select(AmazonRefRow.document_id).where(AmazonRefRow.kind == "refund")
        pending = select(AmazonRefRow.document_id).where(
            AmazonRefRow.kind == "refund", AmazonRefRow.state == RefundState.REFUND_INITIATED
        )
        query = (
            select(DocumentRow.number)
            .where(
                DocumentRow.doc_type == DocumentType.CREDIT_NOTE, DocumentRow.refers_to.is_not(None)
            )
            .where(DocumentRow.id.not_in(refunds) | DocumentRow.id.in_(pending))
            .order_by(DocumentRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def activation_outstanding(self, document_id: int) -> bool:
        """Whether the document's latest shipment request still waits for its capture."""
        query = (
            select(StatusEventRow.event)
            .where(StatusEventRow.document_id == document_id, StatusEventRow.applied.is_(True))
            .where(
                StatusEventRow.event.in_(
                    [Event.ACTIVATION_REQUESTED, Event.CAPTURED, Event.CAPTURE_DECLINED]
                )
            )
            .order_by(StatusEventRow.id.desc())
            .limit(1)
        )
        return self.session.scalar(query) == Event.ACTIVATION_REQUESTED

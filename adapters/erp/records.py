"""What the ERP interface reads and records beside the documents: types, payment methods,
history, Amazon objects, pages of documents, changed lines and the ERP's requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from adapters.erp.schema import (
    AmazonRefRow,
    DocumentRow,
    ItemRow,
    StatusEventRow,
    as_utc,
    utcnow,
)
from domain.documents import Item
from domain.money import Money


@dataclass(frozen=True)
class Facts:
    """A document's row facts that the domain object does not carry."""

    kind: str
    type_name: str | None
    payment_method: str | None
    note_status: str | None
    status_reason: str | None
    cancel_requested: bool
    created_at: datetime


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    event: str
    from_value: str
    to_value: str
    applied: bool
    reason: str | None


@dataclass(frozen=True)
class AmazonObject:
    kind: str
    amazon_id: str
    state: str | None
    amount_minor: int | None
    currency: str | None


class DocumentRecords:
    """The ERP interface's view of the `documents` table and its history."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def begin_write(self, number: str | None = None) -> None:
        """Start the transaction as a writer; on SQLite other writers wait from now on.

        With a `number` a PostgreSQL transaction also takes an advisory lock on it: for a
        document that may not exist yet (two intakes of one order at once), no row to lock.
        """
        dialect = self.session.get_bind().dialect.name
        if dialect == "sqlite":
            self.session.execute(text("BEGIN IMMEDIATE"))
        elif dialect == "postgresql" and number is not None:
            lock = text("SELECT pg_advisory_xact_lock(hashtext(:number))")
            self.session.execute(lock, {"number": f"document:{number}"})

    def lock(self, number: str) -> bool:
        """Hold the document's row until the transaction ends; False when there is none."""
        query = select(DocumentRow.id).where(DocumentRow.number == number).with_for_update()
        return self.session.scalar(query) is not None

    def facts(self, number: str) -> Facts | None:
        row = self._row(number)
        if row is None:
            return None
        return Facts(
            row.doc_type,
            row.type_name,
            row.payment_method,
            row.note_status,
            row.status_reason,
            row.cancel_requested_at is not None,
            as_utc(row.created_at),
        )

    def mark(self, number: str, payment_method: str | None) -> None:
        """Note the document's payment method (None: the module's own)."""
        self._update(number, payment_method=payment_method)

    def history(self, number: str) -> list[HistoryRow]:
        query = (
            select(StatusEventRow)
            .join(DocumentRow, DocumentRow.id == StatusEventRow.document_id)
            .where(DocumentRow.number == number)
            .order_by(StatusEventRow.id)
        )
        return [
            HistoryRow(
                as_utc(row.created_at), row.event, row.from_status, row.to_status, row.applied,
                row.detail,
            )
            for row in self.session.scalars(query)
        ]  # fmt: skip

    def add_event(self, number: str, event: str, before: str, after: str, reason: str) -> None:
        """A history row of the ERP's own (a change of lines, a request, a refusal)."""
        row = self._row(number)
        assert row is not None
        self.session.add(
            StatusEventRow(
                document_id=row.id, event=event, from_status=before[:32], to_status=after[:32],
                applied=True, detail=reason or None,
            )
        )  # fmt: skip

    def amazon(self, number: str) -> list[AmazonObject]:
        """The document's Amazon objects (charge permission, charges, refunds), oldest first."""
        query = (
            select(AmazonRefRow)
            .join(DocumentRow, DocumentRow.id == AmazonRefRow.document_id)
            .where(DocumentRow.number == number)
            .order_by(AmazonRefRow.id)
        )
        return [
            AmazonObject(r.kind, r.amazon_id, r.state, r.amount_minor, r.currency)
            for r in self.session.scalars(query)
        ]

    def page(
        self, status: str | None, type_name: str | None, limit: int, after: int | None
    ) -> list[tuple[int, str]]:
        """(row id, number) of documents in store order after the cursor, filtered."""
        query = select(DocumentRow.id, DocumentRow.number).order_by(DocumentRow.id).limit(limit)
        if status:  # a credit note's own status: pending until its refund says otherwise
            note = DocumentRow.doc_type == "credit_note"
            query = query.where(
                (~note & (DocumentRow.payment_status == status))
                | (note & (func.coalesce(DocumentRow.note_status, "pending") == status))
            )
        if type_name:
            query = query.where(DocumentRow.type_name == type_name)
        if after is not None:
            query = query.where(DocumentRow.id > after)
        return [(row_id, number) for row_id, number in self.session.execute(query)]

    def replace_lines(self, number: str, items: list[Item] | None, shipping: Money | None) -> None:
        """Replace the article lines and/or the shipping line; the fee article stays."""
        row = self._row(number)
        assert row is not None
        kept = [
            line
            for line in row.items
            if (line.kind == "fee")
            or (line.kind == "item" and items is None)
            or (line.kind == "shipping" and shipping is None)
        ]
        lines = [
            (line.kind, line.sku, line.name, line.quantity, line.unit_price_minor) for line in kept
        ]
        lines += [("item", i.sku, i.name, i.quantity, i.unit_price.to_minor()) for i in items or []]
        if shipping is not None:
            lines.append(("shipping", "SHIPPING", "Shipping", 1, shipping.to_minor()))
        order = {"item": 0, "fee": 1, "shipping": 2}
        lines.sort(key=lambda line: order[line[0]])
        self.session.execute(delete(ItemRow).where(ItemRow.document_id == row.id))
        self.session.flush()
        self.session.expire(row, ["items"])
        for position, (kind, sku, name, quantity, minor) in enumerate(lines, start=1):
            self.session.add(
                ItemRow(
                    document_id=row.id, position=position, kind=kind, sku=sku, name=name,
                    quantity=quantity, unit_price_minor=minor,
                )
            )  # fmt: skip
        self._update(number, updated_at=utcnow())

    def credit_notes_of(self, order: str) -> list[str]:
        """The numbers of the order's credit notes, oldest first."""
        query = (
            select(DocumentRow.number)
            .where(DocumentRow.refers_to == order, DocumentRow.doc_type == "credit_note")
            .order_by(DocumentRow.id)
        )
        return list(self.session.scalars(query))

    def request_cancel(self, number: str) -> None:
        self._update(number, cancel_requested_at=utcnow())

    def cancels_requested(self, statuses: list[str], limit: int) -> list[str]:
        """Documents whose cancellation the ERP requested and that are still in `statuses`."""
        query = (
            select(DocumentRow.number)
            .where(DocumentRow.cancel_requested_at.is_not(None))
            .where(DocumentRow.payment_status.in_(statuses))
            .order_by(DocumentRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def set_note_status(self, number: str, status: str, reason: str) -> None:
        self._update(number, note_status=status, status_reason=reason)

    def without_amazon_work(self, numbers: list[str], payment_method: str) -> set[str]:
        """Of these documents, those the module does no Amazon work for: another payment
        method (of their own or their order's), or a credit note refused once."""
        if not numbers:
            return set()
        other = select(DocumentRow.number).where(
            DocumentRow.payment_method.is_not(None), DocumentRow.payment_method != payment_method
        )
        query = (
            select(DocumentRow.number)
            .where(DocumentRow.number.in_(numbers))
            .where(
                DocumentRow.number.in_(other)
                | DocumentRow.refers_to.in_(other)
                | (DocumentRow.note_status == "refused")
            )
        )
        return set(self.session.scalars(query))

    def _update(self, number: str, **values: object) -> None:
        self.session.execute(
            update(DocumentRow).where(DocumentRow.number == number).values(**values)
        )

    def _row(self, number: str) -> DocumentRow | None:
        query = select(DocumentRow).where(DocumentRow.number == number)
        return self.session.scalars(query).one_or_none()

"""What the store knows about the documents a settlement report's rows can match.

Read inside the posting transaction: the documents are locked (FOR UPDATE, in id order) before
their payments are looked at, which makes "payments only on documents without one" hold against
the order flows writing at the same moment (another report waits for the posting lock, see
adapters.erp.settlements). Queries go
in chunks of identifiers and read plain columns, never whole ORM objects: a report may name
100,000 documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

import pandas as pd
from sqlalchemy import ARRAY, ColumnElement, Integer, Row, String, any_, bindparam, func, select
from sqlalchemy.orm import Session

from adapters.erp.schema import AmazonRefRow, DocumentRow, ItemRow, PaymentRow
from domain.settlement.posting import DocumentFacts, StoreView

CHUNK = 2000  # identifiers per IN (...): far below SQLite's and PostgreSQL's limits
ARRAY_CHUNK = 50_000  # identifiers per `= ANY(array)` on PostgreSQL: one parameter, few trips
_COLUMNS = (
    DocumentRow.id,
    DocumentRow.number,
    DocumentRow.doc_type,
    DocumentRow.currency,
    DocumentRow.refers_to,
)


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """The values in lists of at most `size`."""
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _chunks(session: Session, values: Iterable[Any]) -> Iterator[list[Any]]:
    """The values in lists for one query each: one array parameter on PostgreSQL takes many."""
    size = ARRAY_CHUNK if session.get_bind().dialect.name == "postgresql" else CHUNK
    return chunks(values, size)


def member_of(session: Session, column: Any, values: list[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `column = ANY(array)`: one parameter, not thousands."""
    if session.get_bind().dialect.name != "postgresql":
        return cast(ColumnElement[bool], column.in_(values))
    item = Integer() if values and isinstance(values[0], int) else String()
    return cast(ColumnElement[bool], column == any_(bindparam(None, values, ARRAY(item))))


def load_store_view(session: Session, frame: pd.DataFrame) -> tuple[StoreView, dict[str, int]]:
    """The documents the frame's rows can match (locked) and their ids by number."""
    references = _references(session, _ids_in(frame["transaction_id"], frame["amazon_order_id"]))
    numbers = set(_ids_in(frame["merchant_order_id"])) | set(references.values())
    rows = _documents(session, DocumentRow.number, numbers)
    rows += _documents(session, DocumentRow.refers_to, {r.number for r in rows}, "credit_note")
    ids = {row.number: row.id for row in rows}
    _lock(session, sorted(ids.values()))
    paid, gross = _paid(session, ids.values()), _gross(session, ids.values())
    view = StoreView(references=references)
    for row in rows:
        view.documents[row.number] = DocumentFacts(
            row.number, row.doc_type, row.currency, row.id in paid, gross.get(row.id, 0),
            row.refers_to,
        )  # fmt: skip
        if row.doc_type == "credit_note" and row.refers_to:
            view.credit_notes.setdefault(row.refers_to, []).append(row.number)
    return view, ids


def _ids_in(*columns: pd.Series) -> list[str]:
    return sorted({str(v) for column in columns for v in column.dropna().unique()})


def _references(session: Session, amazon_ids: list[str]) -> dict[str, str]:
    """Amazon id (charge permission, charge, refund) -> the document number it belongs to."""
    found: dict[str, str] = {}
    for chunk in _chunks(session, amazon_ids):
        query = (
            select(AmazonRefRow.amazon_id, DocumentRow.number)
            .join(DocumentRow, AmazonRefRow.document_id == DocumentRow.id)
            .where(member_of(session, AmazonRefRow.amazon_id, chunk))
        )
        found.update({amazon_id: number for amazon_id, number in session.execute(query)})
    return found


def _documents(
    session: Session, column: Any, values: set[str], doc_type: str | None = None
) -> list[Row[Any]]:
    found: dict[int, Row[Any]] = {}
    for chunk in _chunks(session, sorted(values)):
        query = select(*_COLUMNS).where(member_of(session, column, chunk))
        if doc_type is not None:
            query = query.where(DocumentRow.doc_type == doc_type)
        found.update({row.id: row for row in session.execute(query)})
    return list(found.values())


def _lock(session: Session, ids: list[int]) -> None:
    for chunk in _chunks(session, ids):
        query = (
            select(DocumentRow.id)
            .where(member_of(session, DocumentRow.id, chunk))
            .order_by(DocumentRow.id)
        )
        session.execute(query.with_for_update()).all()


def _paid(session: Session, ids: Iterable[int]) -> set[int]:
    paid: set[int] = set()
    for chunk in _chunks(session, ids):
        query = select(PaymentRow.document_id).where(
            member_of(session, PaymentRow.document_id, chunk)
        )
        paid.update(i for i in session.scalars(query.distinct()) if i is not None)
    return paid


def _gross(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """Each document's gross total in minor units: its items times quantities (shipping too)."""
    gross: dict[int, int] = {}
    total = func.sum(ItemRow.quantity * ItemRow.unit_price_minor)
    for chunk in _chunks(session, ids):
        query = select(ItemRow.document_id, total).where(
            member_of(session, ItemRow.document_id, chunk)
        )
        rows = session.execute(query.group_by(ItemRow.document_id))
        gross.update({document_id: int(amount) for document_id, amount in rows})
    return gross

"""The staging of one report's posting: TEMPORARY tables of the posting transaction.

Each chunk is planned against the documents it names (locked, adapters.erp.settlement_view) and
its payment groups and review rows go into the staging tables (COPY on PostgreSQL). Only after
the whole report passed its check does `book` sum the staged payments per document, account
and transaction into `payments` and copy the review rows: one INSERT ... SELECT each. The
staging tables end with the transaction (no migration).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pandas as pd
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session

from adapters.erp.bulk import bulk_insert, create_temporary, drop_temporary, insert_frame
from adapters.erp.schema import DocumentRow, ItemRow, PaymentRow, ReviewItemRow
from adapters.erp.settlement_view import load_store_view
from domain.settlement.posting import (
    Accounts,
    PostingTotals,
    income_mismatch,
    plan_posting,
    review_records,
)

# Tables for bulk inserts: no ORM bookkeeping per row (COPY on PostgreSQL, see adapters.erp.bulk).
PAYMENTS = cast(Table, PaymentRow.__table__)
REVIEWS = cast(Table, ReviewItemRow.__table__)
DOCUMENTS = cast(Table, DocumentRow.__table__)
ITEMS = cast(Table, ItemRow.__table__)
_STAGE = MetaData()
PAYMENT_STAGE = Table(  # one chunk's payment groups each; summed again by `book`
    "settlement_payment_stage", _STAGE,
    Column("document_number", Text), Column("account", Text), Column("transaction_kind", Text),
    Column("transaction_id", Text), Column("currency", Text), Column("amazon_order_id", Text),
    Column("amount_minor", BigInteger), Column("source_line", Integer),
    Column("row_count", Integer), prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)  # fmt: skip
REVIEW_STAGE = Table(
    "settlement_review_stage", _STAGE,
    Column("source_line", Integer), Column("reason", Text), Column("row", JSON),
    Column("amount_minor", BigInteger), Column("currency", Text),
    Column("document_number", Text), prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)  # fmt: skip


def open_stage(session: Session) -> None:
    """Create the transaction's staging tables (empty)."""
    create_temporary(session, PAYMENT_STAGE)
    create_temporary(session, REVIEW_STAGE)


def stage_chunk(
    session: Session, frame: pd.DataFrame, accounts: Accounts, totals: PostingTotals
) -> None:
    """Plan one chunk against the documents it can match (locked) and stage its payment groups
    and review rows; the plan's counts go to `totals`."""
    view, _ids = load_store_view(session, frame)
    plan = plan_posting(frame, view, accounts, mismatches=False)  # the domain decides,
    totals.add(plan)
    reviews = review_records(plan.review)
    insert_frame(session, PAYMENT_STAGE, plan.payments)  # then the store writes
    keep = ("source_line", "reason", "amount_minor", "currency", "document_number")
    records = [{**{name: row[name] for name in keep}, "row": row} for row in reviews]
    bulk_insert(session, REVIEW_STAGE, records)


def book(session: Session, report_id: int, income: str, totals: PostingTotals) -> int:
    """Sum the staged payments into `payments` for the report, copy its review rows, count the
    income mismatches into `totals` and drop the staging.

    Returns the payments created (groups that sum to zero book none).
    """
    stage = PAYMENT_STAGE.c
    amount = func.sum(stage.amount_minor)
    matched = PAYMENT_STAGE.outerjoin(DOCUMENTS, DOCUMENTS.c.number == stage.document_number)
    groups = (
        select(
            literal(report_id), DOCUMENTS.c.id, stage.account, amount, func.min(stage.currency),
            func.min(stage.source_line), literal(datetime.now(UTC)), stage.transaction_kind,
            stage.transaction_id, func.min(stage.amazon_order_id), func.sum(stage.row_count),
        )
        .select_from(matched)
        .group_by(
            stage.document_number, DOCUMENTS.c.id, stage.account, stage.transaction_kind,
            stage.transaction_id,
        )
        .having(amount != 0)
    )  # fmt: skip
    names = ["settlement_report_id", "document_id", "account", "amount_minor", "currency"]
    names += ["source_line", "created_at", "transaction_kind", "transaction_id"]
    names += ["amazon_order_id", "row_count"]
    session.execute(insert(PAYMENTS).from_select(names, groups))
    mine = PAYMENTS.c.settlement_report_id == report_id
    created = session.scalar(select(func.count()).select_from(PAYMENTS).where(mine))
    review = REVIEW_STAGE.c
    copied = select(literal(report_id), *review).order_by(review.source_line)
    names = ["settlement_report_id", *(c.name for c in REVIEW_STAGE.columns)]
    session.execute(insert(REVIEWS).from_select(names, copied))
    for number, doc_type, booked, gross in session.execute(_income_vs_gross(income)):
        totals.add_mismatch(income_mismatch(number, doc_type, int(booked), int(gross)))
    drop_temporary(session, PAYMENT_STAGE)
    drop_temporary(session, REVIEW_STAGE)
    return int(created or 0)


def _income_vs_gross(income: str) -> Any:
    """Per staged document booked to income: number, type, income booked, gross total."""
    stage = PAYMENT_STAGE.c
    booked = (
        select(stage.document_number, func.sum(stage.amount_minor).label("booked"))
        .where(stage.account == income, stage.document_number.is_not(None))
        .group_by(stage.document_number)
        .subquery()
    )
    gross = func.coalesce(func.sum(ITEMS.c.quantity * ITEMS.c.unit_price_minor), 0)
    return (
        select(DOCUMENTS.c.number, DOCUMENTS.c.doc_type, booked.c.booked, gross)
        .join_from(booked, DOCUMENTS, DOCUMENTS.c.number == booked.c.document_number)
        .outerjoin(ITEMS, ITEMS.c.document_id == DOCUMENTS.c.id)
        .group_by(DOCUMENTS.c.number, DOCUMENTS.c.doc_type, booked.c.booked)
        .order_by(DOCUMENTS.c.number)
    )

"""Settlement reports in the ERP store: what posting a checked report reads and writes.

One database transaction holds the report row (keyed by its settlement id), every payment, every
review row and the final status: a report is posted whole or not at all. Two imports of one
report at the same moment meet at that row: on PostgreSQL the second INSERT waits for the first
transaction and then fails on the unique settlement id, and the retry finds the row posted; on
SQLite `BEGIN IMMEDIATE` makes the second writer wait for the first. Reports post one at a time
on PostgreSQL too: every posting transaction first takes one transaction-scoped advisory lock,
so two reports that name the same documents in different chunk order cannot deadlock. Documents
the report touches are also locked (FOR UPDATE, in id order per chunk), so that "payments only
on documents without one" holds against the order flows writing at the same moment.

The report is never held whole: each chunk is planned against the documents it names and its
payment groups and review rows are staged in TEMPORARY tables of the transaction (COPY on
PostgreSQL). Only after the whole report passed its check does `book_staged` sum the staged
payments per document, account and transaction into `payments` and copy the review rows: one
INSERT ... SELECT each. The staging tables end with the transaction (no migration).
"""

from __future__ import annotations

from dataclasses import dataclass
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
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.erp.bulk import bulk_insert, create_temporary, drop_temporary, insert_frame
from adapters.erp.schema import (
    DocumentRow,
    FinanceAccountRow,
    ItemRow,
    PaymentRow,
    ReviewItemRow,
    SettlementCursorRow,
    SettlementReportRow,
)
from adapters.erp.settlement_view import chunks, load_store_view
from adapters.quality.result import CheckResult
from domain.settlement.model import ReportHeader
from domain.settlement.posting import (
    Accounts,
    PostingTotals,
    income_mismatch,
    plan_posting,
    review_records,
)
from domain.settlement.states import ReportSource, ReportStatus

# Tables for bulk inserts: no ORM bookkeeping per row (COPY on PostgreSQL, see adapters.erp.bulk).
PAYMENTS = cast(Table, PaymentRow.__table__)
REVIEWS = cast(Table, ReviewItemRow.__table__)
DOCUMENTS = cast(Table, DocumentRow.__table__)
ITEMS = cast(Table, ItemRow.__table__)
_STAGE = MetaData()
PAYMENT_STAGE = Table(  # one chunk's payment groups each; summed again by book_staged
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
ACCOUNT_NAMES = {
    "income": "Amazon Pay income",
    "expenses": "Amazon Pay refunds and chargebacks",
    "fees": "Amazon Pay fees",
    "clearing": "Amazon Pay clearing",
}


@dataclass(frozen=True)
class StoredReport:
    """What the store holds of a report already: its status, attempts and content digest."""

    status: ReportStatus
    attempts: int
    sha256: str | None


class ConcurrentImport(RuntimeError):
    """Another import stored this settlement id first; a new transaction will see its row."""


POSTING_LOCK = 0x5E771E  # PostgreSQL advisory lock key: one settlement posting at a time


def begin_write(session: Session) -> None:
    """Start a posting transaction and wait until no other one runs: on SQLite by taking the
    write lock now, on PostgreSQL the posting lock (both released when the transaction ends)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))
    elif dialect == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(POSTING_LOCK)))


class SettlementRepository:
    """Settlement reports, payments and the review list on one session.

    Posting one report takes one repository through `lock`, `record_attempt` (or `claim`, then
    `record_check` once the check is done), then `reject`, or `open_staging`, `stage` for every
    chunk and `book_staged`: it holds the locked report row between those calls. Commit
    through the unit of work.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._row: SettlementReportRow | None = None

    def lock(self, settlement_id: str) -> StoredReport | None:
        """The stored report, locked until the transaction ends (None if not yet stored).

        Must be the transaction's first statement: SQLite takes its write lock here.
        """
        begin_write(self.session)
        query = select(SettlementReportRow).where(
            SettlementReportRow.settlement_id == settlement_id
        )
        row = self.session.scalars(query.with_for_update()).one_or_none()
        self._row = row
        if row is None:
            return None
        return StoredReport(ReportStatus(row.status), row.attempts, row.content_sha256)

    def record_attempt(self, header: ReportHeader, source: ReportSource, check: CheckResult) -> int:
        """Store (or update, for a retry) the report row with this attempt's file and check.

        Returns the attempts so far. Raises ConcurrentImport as `claim` does.
        """
        attempts = self.claim(header, source.name)
        self.record_check(source, check)
        return attempts

    def claim(self, header: ReportHeader, source: str) -> int:
        """Store (or update) the report row as received, for this attempt; the attempts so far.

        Raises ConcurrentImport when another import stored the same settlement id first: a new
        unit of work then finds it posted. (On PostgreSQL this waits for that import's end.)
        """
        row = self._row
        if row is None:
            row = SettlementReportRow(settlement_id=header.settlement_id, attempts=0)
            self.session.add(row)
            self._row = row
        row.report_format = header.report_format
        row.source = source[:500]
        row.currency = header.currency
        row.total_minor = header.stated_total_minor
        row.period_start, row.period_end = header.period_start, header.period_end
        row.status = ReportStatus.RECEIVED
        row.attempts += 1
        try:
            self.session.flush()  # a concurrent first import makes this raise IntegrityError
        except IntegrityError as problem:
            raise ConcurrentImport(f"settlement {header.settlement_id}: {problem.orig}") from None
        return row.attempts

    def record_check(self, source: ReportSource, check: CheckResult) -> None:
        """Keep the claimed report's file (name, digest) and its check's result."""
        row = self._recorded()
        row.source = source.name[:500]
        row.content_sha256 = source.sha256
        row.validation = check.to_json()

    def reject(self) -> None:
        """Mark the recorded report rejected by its check: nothing of it is posted."""
        self._recorded().status = ReportStatus.REJECTED

    def open_staging(self) -> None:
        """Create the transaction's staging tables (empty)."""
        create_temporary(self.session, PAYMENT_STAGE)
        create_temporary(self.session, REVIEW_STAGE)

    def stage(self, frame: pd.DataFrame, accounts: Accounts, totals: PostingTotals) -> None:
        """Plan one chunk against the documents it can match (locked) and stage its payment
        groups and review rows; the plan's counts go to `totals`."""
        view, _ids = load_store_view(self.session, frame)
        plan = plan_posting(frame, view, accounts, mismatches=False)  # the domain decides,
        totals.add(plan)
        reviews = review_records(plan.review)
        insert_frame(self.session, PAYMENT_STAGE, plan.payments)  # then the store writes
        keep = ("source_line", "reason", "amount_minor", "currency", "document_number")
        records = [{**{name: row[name] for name in keep}, "row": row} for row in reviews]
        bulk_insert(self.session, REVIEW_STAGE, records)

    def book_staged(self, income: str, totals: PostingTotals) -> int:
        """Sum the staged payments into `payments`, copy the review rows, count the income
        mismatches into `totals`, drop the staging and mark the report posted.

        Returns the payments created (groups that sum to zero book none).
        """
        row = self._recorded()
        stage = PAYMENT_STAGE.c
        amount = func.sum(stage.amount_minor)
        matched = PAYMENT_STAGE.outerjoin(DOCUMENTS, DOCUMENTS.c.number == stage.document_number)
        groups = (
            select(
                literal(row.id), DOCUMENTS.c.id, stage.account, amount, func.min(stage.currency),
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
        self.session.execute(insert(PAYMENTS).from_select(names, groups))
        mine = PAYMENTS.c.settlement_report_id == row.id
        created = self.session.scalar(select(func.count()).select_from(PAYMENTS).where(mine))
        review = REVIEW_STAGE.c
        copied = select(literal(row.id), *review).order_by(review.source_line)
        names = ["settlement_report_id", *(c.name for c in REVIEW_STAGE.columns)]
        self.session.execute(insert(REVIEWS).from_select(names, copied))
        for number, doc_type, booked, gross in self.session.execute(_income_vs_gross(income)):
            totals.add_mismatch(income_mismatch(number, doc_type, int(booked), int(gross)))
        drop_temporary(self.session, PAYMENT_STAGE)
        drop_temporary(self.session, REVIEW_STAGE)
        row.status = ReportStatus.POSTED
        row.posted_at = datetime.now(UTC)
        return int(created or 0)

    def ensure_accounts(self, accounts: Accounts) -> None:
        """Create the configured finance accounts that are missing (others are left alone)."""
        wanted = {
            "income": accounts.income,
            "expenses": accounts.expenses,
            "fees": accounts.fees,
            "clearing": accounts.clearing,
        }
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        for kind, code in wanted.items():
            if code:
                values = {"code": code, "name": ACCOUNT_NAMES[kind], "kind": kind}
                statement = dialect.insert(FinanceAccountRow).values(values)
                self.session.execute(statement.on_conflict_do_nothing())

    def posted_sources(self, sources: list[str]) -> set[str]:
        """Which of these sources already posted a report (a re-listed one is not fetched again)."""
        found: set[str] = set()
        for chunk in chunks(sources):
            query = select(SettlementReportRow.source).where(
                SettlementReportRow.source.in_(chunk),
                SettlementReportRow.status == ReportStatus.POSTED.value,
            )
            found.update(self.session.scalars(query))
        return found

    def review_items(self, settlement_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The review list of one report, in source order."""
        query = (
            select(ReviewItemRow)
            .join(SettlementReportRow)
            .where(SettlementReportRow.settlement_id == settlement_id)
            .order_by(ReviewItemRow.source_line, ReviewItemRow.id)
            .limit(limit)
        )
        return [
            {
                "source_line": item.source_line,
                "reason": item.reason,
                "amount_minor": item.amount_minor,
                "currency": item.currency,
                "document_number": item.document_number,
                "row": item.row,
            }
            for item in self.session.scalars(query)
        ]

    def _recorded(self) -> SettlementReportRow:
        if self._row is None:
            raise RuntimeError("record_attempt first: no report row in this transaction")
        return self._row


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


class SettlementCursors:
    """How far each report source was read completely (the Reports API's listing cursor)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def last_success(self, source: str) -> datetime | None:
        """When the source was last read completely, if ever."""
        row = self.session.get(SettlementCursorRow, source)
        return None if row is None else row.last_success_at

    def record_success(self, source: str, when: datetime) -> None:
        """Remember that the source was read completely as of `when` (never moves back)."""
        row = self.session.get(SettlementCursorRow, source)
        if row is None:
            self.session.add(SettlementCursorRow(source=source, last_success_at=when))
        else:
            row.last_success_at = max(row.last_success_at, when)

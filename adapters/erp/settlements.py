"""Settlement reports in the ERP store: what posting a checked report reads and writes.

One database transaction holds the report row (keyed by its settlement id), every payment, every
review row and the final status: a report is posted whole or not at all. Two imports of one
report at the same moment meet at that row: on PostgreSQL the second INSERT waits for the first
transaction and then fails on the unique settlement id, and the retry finds the row posted; on
SQLite `BEGIN IMMEDIATE` makes the second writer wait for the first. Documents the report touches
are locked (FOR UPDATE, in id order) so that "payments only on documents without one" also holds
against a different report posted at the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import pandas as pd
from sqlalchemy import Table, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.erp.bulk import bulk_insert
from adapters.erp.schema import (
    FinanceAccountRow,
    PaymentRow,
    ReviewItemRow,
    SettlementCursorRow,
    SettlementReportRow,
)
from adapters.erp.settlement_view import chunks, load_store_view
from adapters.quality.result import CheckResult
from domain.settlement.model import ReportHeader
from domain.settlement.posting import Accounts, PostingPlan, StoreView
from domain.settlement.states import ReportSource, ReportStatus

# Tables for bulk inserts: no ORM bookkeeping per row (COPY on PostgreSQL, see adapters.erp.bulk).
PAYMENTS = cast(Table, PaymentRow.__table__)
REVIEWS = cast(Table, ReviewItemRow.__table__)
INSERT_BATCH = 20_000  # rows per executemany: bounded memory for 100,000-order reports
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


def begin_write(session: Session) -> None:
    """Start a write transaction; on SQLite take the write lock now (other writers wait)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))


class SettlementRepository:
    """Settlement reports, payments and the review list on one session.

    Posting one report takes one repository through `lock`, `record_attempt`, then `reject`,
    or `documents_for` and `book`: it holds the locked report row and the matched documents'
    ids between those calls. Commit through the unit of work.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._row: SettlementReportRow | None = None
        self._ids: dict[str, int] = {}

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

        Returns the attempts so far. Raises ConcurrentImport when another import stored the same
        settlement id first: a new unit of work then finds it posted.
        """
        row = self._row
        if row is None:
            row = SettlementReportRow(settlement_id=header.settlement_id, attempts=0)
            self.session.add(row)
            self._row = row
        row.report_format = header.report_format
        row.source = source.name[:500]
        row.content_sha256 = source.sha256
        row.currency = header.currency
        row.total_minor = header.stated_total.to_minor() if header.stated_total else None
        row.period_start, row.period_end = header.period_start, header.period_end
        row.validation = check.to_json()
        row.status = ReportStatus.RECEIVED
        row.attempts += 1
        try:
            self.session.flush()  # a concurrent first import makes this raise IntegrityError
        except IntegrityError as problem:
            raise ConcurrentImport(f"settlement {header.settlement_id}: {problem.orig}") from None
        return row.attempts

    def reject(self) -> None:
        """Mark the recorded report rejected by its check: nothing of it is posted."""
        self._recorded().status = ReportStatus.REJECTED

    def documents_for(self, frame: pd.DataFrame) -> StoreView:
        """The documents the report's rows can match, locked until the transaction ends."""
        view, self._ids = load_store_view(self.session, frame)
        return view

    def book(self, plan: PostingPlan, reviews: list[dict[str, object]]) -> None:
        """Insert the plan's payments and its review rows (as `review_records` gives them) and
        mark the report posted."""
        row = self._recorded()
        self._add_payments(row.id, plan)
        self._add_review(row.id, reviews)
        row.status = ReportStatus.POSTED
        row.posted_at = datetime.now(UTC)

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

    def _add_payments(self, report_id: int, plan: PostingPlan) -> None:
        """Insert the plan's payments in batches (Core executemany)."""
        for start in range(0, len(plan.payments), INSERT_BATCH):
            part = plan.payments.iloc[start : start + INSERT_BATCH]
            values = part.drop(columns="document_number").astype(object)
            records = values.where(values.notna(), None).to_dict("records")
            for record, number in zip(records, part["document_number"].tolist(), strict=True):
                record["settlement_report_id"] = report_id
                record["document_id"] = self._ids[number] if isinstance(number, str) else None
            bulk_insert(self.session, PAYMENTS, records)

    def _add_review(self, report_id: int, reviews: list[dict[str, object]]) -> None:
        """Insert every unbooked row with its reason."""
        records = [
            {
                "settlement_report_id": report_id,
                "source_line": row["source_line"],
                "reason": row["reason"],
                "amount_minor": row["amount_minor"],
                "currency": row["currency"],
                "document_number": row["document_number"],
                "row": row,
            }
            for row in reviews
        ]
        bulk_insert(self.session, REVIEWS, records)


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

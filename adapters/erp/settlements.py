"""Settlement reports in the ERP store: what posting a checked report reads and writes.

One database transaction holds the report row (keyed by its settlement id), every payment, every
review row and the final status: a report is posted whole or not at all. Reports post one at a
time: every posting transaction starts by taking the posting lock (`begin_write`: SQLite's
`BEGIN IMMEDIATE`, a transaction-scoped advisory lock on PostgreSQL), so two imports of one
report meet there and the second finds it posted, and two reports that name the same documents
in different chunk order cannot deadlock. The unique settlement id stays the backstop
(ConcurrentImport: the retry finds the row posted). Documents the report touches are also locked
(FOR UPDATE, in id order per chunk), so that "payments only on documents without one" holds
against the order flows writing at the same moment.

The report is never held whole: each chunk is planned and staged in TEMPORARY tables of the
transaction and booked from there once the whole report passed its check
(adapters.erp.settlement_stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.erp import settlement_stage
from adapters.erp.schema import (
    FinanceAccountRow,
    ReviewItemRow,
    SettlementCursorRow,
    SettlementReportRow,
)
from adapters.erp.settlement_view import chunks
from adapters.quality.result import CheckResult
from domain.settlement.model import ReportHeader
from domain.settlement.posting import Accounts, PostingTotals
from domain.settlement.states import ReportSource, ReportStatus

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
        settlement_stage.open_stage(self.session)

    def stage(self, frame: pd.DataFrame, accounts: Accounts, totals: PostingTotals) -> None:
        """Plan one chunk against the documents it can match (locked) and stage its payment
        groups and review rows; the plan's counts go to `totals`."""
        settlement_stage.stage_chunk(self.session, frame, accounts, totals)

    def book_staged(self, income: str, totals: PostingTotals) -> int:
        """Sum the staged payments into `payments`, copy the review rows, count the income
        mismatches into `totals`, drop the staging and mark the report posted.

        Returns the payments created (groups that sum to zero book none).
        """
        row = self._recorded()
        created = settlement_stage.book(self.session, row.id, income, totals)
        row.status = ReportStatus.POSTED
        row.posted_at = datetime.now(UTC)
        return created

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

"""Settlement reconciliation (processes 6 and 7): where reports come from, and one report's
way through parse, check and post (at most once per settlement id).

Reports come from the Amazon Pay Reports API (listed from the last complete listing, each
downloaded to a temporary file when it is its turn) and from the inbox folder (moved to `done/`
or `rejected/` once imported). `import_report` hands one report file, read in pieces, to one
unit of work: `adapters.reports.importer.stage_report` parses it in chunks (domain), checks each
(quality) and plans and stages it in the transaction (store); then this service decides: posted
before, rejected (rolled back, then stored REJECTED with its check) or booked from staging and
committed. The report is never held whole. An unreadable report is an outcome, not an
exception. No Prefect here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.amazon_pay import AmazonPayClient
from adapters.erp.settlements import ConcurrentImport, SettlementRepository
from adapters.erp.store import UnitOfWork
from adapters.quality.result import CheckResult
from adapters.reports import amazon_api, importer, inbox
from adapters.reports.amazon_api import ListedReport
from adapters.reports.importer import ReportInput, Staged
from adapters.reports.review_file import write_review_csv
from adapters.settings import AmazonPaySettings
from domain.settlement.model import ReportError
from domain.settlement.parse import parse_report
from domain.settlement.posting import Accounts
from domain.settlement.review import FIRST_ROWS, ReviewExport, review_line, totals_by_reason
from domain.settlement.states import PostOutcome, PostResult, ReportSource, ReportStatus
from services.resources import Resources

POST_ATTEMPTS = 3  # a concurrent import of the same report makes the first attempt give way
Progress = Callable[[float], None]  # told the share done (0 to 100) along the way


@dataclass(frozen=True)
class Imported:
    """One report's way through parse, check and post, as the run summary and the CLI show it.

    `summary` is the JSON outcome (`adapters.reports.importer.outcome`); an unreadable report
    has neither check nor post, and its summary says why.
    """

    summary: dict[str, Any]
    check: CheckResult | None = None
    posted: PostResult | None = None

    @property
    def status(self) -> PostOutcome:
        """What importing did: the post's outcome, or UNREADABLE when the bytes did not parse."""
        return PostOutcome.UNREADABLE if self.posted is None else self.posted.status


def unreadable(problem: ReportError) -> Imported:
    """The outcome of bytes that do not parse: the reason, nothing else."""
    return Imported({"status": PostOutcome.UNREADABLE.value, "reason": str(problem)})


def read_report(data: bytes, max_bytes: int = importer.MAX_REPORT_BYTES) -> Imported:
    """Parse and check a report's bytes; nothing is posted."""
    from adapters.quality.runner import check_report  # Great Expectations loads on first use

    try:
        report = parse_report(data, max_bytes=max_bytes)
    except ReportError as problem:
        return unreadable(problem)
    check = check_report(report)
    return Imported(importer.outcome(report, check), check)


def import_report(
    res: Resources,
    path: Path,
    source: str,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> Imported:
    """Parse, check and post one report file, read in pieces: at most once per settlement id.

    Args:
        source: where the file came from (`inbox:<file>`), stored with its digest.
        progress: told how far the import is, for a long report.
        max_bytes: the size limit; by default the settings' for files.
    """
    settings = res.settings
    limit = max_bytes or settings.max_report_bytes_file
    stream_limit = max_bytes or settings.max_report_bytes_stream
    accounts = importer.accounts_of(settings)
    try:
        with importer.open_report(path, limit, stream_limit) as report:
            report.progress = progress
            return post_with(res.uow, accounts, report, source)
    except ReportError as problem:
        return unreadable(problem)
    except OSError as problem:
        return unreadable(ReportError(f"cannot read: {problem.strerror or problem}"))


def post_with(
    uow: Callable[[], UnitOfWork], accounts: Accounts, report: ReportInput, source: str
) -> Imported:
    """Stage the report in one transaction and post it there if its check passed; a rejected
    one is rolled back and stored REJECTED. A concurrent first import is met by looking again
    (the retry finds it posted)."""
    for attempt in range(POST_ATTEMPTS):
        try:
            with uow() as work:
                reports = work.settlements  # one repository: it holds the report's row
                staged = importer.stage_report(reports, report, source, accounts)
                origin = ReportSource(source, report.sha256())
                posted = post(reports, staged, origin, accounts)
                if posted.status is PostOutcome.POSTED:
                    work.commit()
            if posted.status is PostOutcome.REJECTED:
                posted = reject_with(uow, staged, origin)
            report.told(100.0)
            return Imported(
                {**importer.staged_outcome(staged), **posted.outcome()}, staged.check, posted
            )
        except ConcurrentImport:
            if attempt == POST_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def post(
    reports: SettlementRepository, staged: Staged, source: ReportSource, accounts: Accounts
) -> PostResult:
    """Book a staged report in the caller's transaction, if it is to be posted.

    A report posted before answers ALREADY_POSTED and adds nothing; one that failed its check
    answers REJECTED (the caller rolls its staging back and records the rejection).
    """
    settlement_id = staged.header.settlement_id
    stored = staged.stored
    if stored is not None and staged.totals is None:
        same = None if source.sha256 is None else stored.sha256 == source.sha256
        return PostResult(
            settlement_id, PostOutcome.ALREADY_POSTED, attempts=stored.attempts, same_content=same
        )
    if not staged.check.valid or staged.totals is None:
        return PostResult(settlement_id, PostOutcome.REJECTED, attempts=staged.attempts)
    reports.record_check(source, staged.check)
    reports.ensure_accounts(accounts)
    created = reports.book_staged(accounts.income, staged.totals)
    return staged.totals.result(settlement_id, created, staged.attempts)


def reject_with(uow: Callable[[], UnitOfWork], staged: Staged, source: ReportSource) -> PostResult:
    """Store a report that failed its check as REJECTED, with the check: nothing is posted."""
    settlement_id = staged.header.settlement_id
    with uow() as work:
        reports = work.settlements
        stored = reports.lock(settlement_id)
        if stored is not None and stored.status is ReportStatus.POSTED:  # posted meanwhile
            return PostResult(settlement_id, PostOutcome.ALREADY_POSTED, attempts=stored.attempts)
        attempts = reports.record_attempt(staged.header, source, staged.check)
        reports.reject()
        work.commit()
    return PostResult(settlement_id, PostOutcome.REJECTED, attempts=attempts)


def export_review(res: Resources, settlement_id: str) -> ReviewExport:
    """Sum up a report's review list and write all of it as a CSV beside the store."""
    items = review(res, settlement_id)
    lines = [review_line(item) for item in items]
    path = write_review_csv(res.settings.review_dir, settlement_id, lines)
    return ReviewExport(settlement_id, totals_by_reason(items), lines[:FIRST_ROWS], path)


def review(res: Resources, settlement_id: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The rows of a posted report that went to review, with their reasons."""
    with res.uow() as uow:
        return uow.settlements.review_items(settlement_id, limit)


def reports_api(res: Resources) -> AmazonPayClient | None:
    """The Amazon client for the Reports API, built now; None when Amazon Pay is not set up.

    Building it here, at the run's start, makes a broken key fail the run at once rather than
    inside a retried download.
    """
    return res.amazon if amazon_api.configured(AmazonPaySettings()) else None


def listing_start(res: Resources, now: datetime) -> datetime:
    """Where the daily listing starts: the last complete one (with overlap), at most 90 days."""
    with res.uow() as uow:
        last = uow.cursors.last_success(amazon_api.SOURCE)
    return amazon_api.created_since(last, now)


def listing_complete(res: Resources, started: datetime) -> None:
    """Remember that every report created before `started` was listed and handled."""
    with res.uow() as uow:
        uow.cursors.record_success(amazon_api.SOURCE, started)
        uow.commit()


def list_api_reports(
    res: Resources, since: datetime, until: datetime | None = None
) -> list[ListedReport]:
    """Every completed settlement report created in the window (all pages), oldest first."""
    return amazon_api.list_settlement_reports(res.amazon, since, until)


def posted_sources(res: Resources, sources: list[str]) -> set[str]:
    """Which of these sources already posted a report (not fetched again)."""
    with res.uow() as uow:
        return uow.settlements.posted_sources(sources)


def download(res: Resources, report: ListedReport, folder: Path) -> Path:
    """The report, from a document URL fetched right now (it lives 30 seconds), as a file in
    `folder` (the caller removes it)."""
    limit = res.settings.max_report_bytes_download
    return amazon_api.download_to(res.amazon, report, limit, folder)


def inbox_files(res: Resources) -> list[Path]:
    """The report files waiting in the inbox folder, oldest first."""
    return inbox.pending_files(res.settings.inbox_dir)


def file_away(path: Path, status: PostOutcome) -> Path:
    """Move an imported file to `done/` (posted, already posted) or `rejected/`."""
    return inbox.move_processed(path, inbox.DONE if status.done else inbox.REJECTED)

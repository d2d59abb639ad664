"""Settlement reconciliation (processes 6 and 7): where reports come from, and one report's
way through parse, check and post (at most once per settlement id).

Reports come from the Amazon Pay Reports API (listed from the last complete listing, downloaded
one at a time) and from the inbox folder (moved to `done/` or `rejected/` once imported).
`import_report` takes one report's bytes down the layers: the domain parses them, the quality
suite checks the frame, and one unit of work posts it: the store is read (the report's row, the
documents its rows can match), the domain plans the payments, the store writes them. An
unreadable report is an outcome, not an exception. No Prefect here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
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
from adapters.reports.review_file import write_review_csv
from adapters.settings import AmazonPaySettings
from domain.settlement.model import DEFAULT_CHUNK_ROWS, ParsedReport, ReportError
from domain.settlement.parse import parse_report
from domain.settlement.posting import Accounts, plan_posting, posted_result, review_records
from domain.settlement.review import FIRST_ROWS, ReviewExport, review_line, totals_by_reason
from domain.settlement.states import PostOutcome, PostResult, ReportSource, ReportStatus
from services.resources import Resources

POST_ATTEMPTS = 3  # a concurrent import of the same report makes the first attempt give way
Progress = Callable[[float], None]  # told the share done (0 to 100) after each step


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


def check_file(
    path: Path,
    max_bytes: int = importer.MAX_REPORT_BYTES,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Imported:
    """Parse and check a report file as it is read, chunk by chunk; nothing is posted.

    Neither the file's bytes nor the whole frame are held at any time: memory follows the
    chunk. A regular file above `max_bytes` is refused before it is read, a pipe or device as
    soon as it passes the limit. OSError (a missing or unreadable file) is the caller's.

    Args:
        chunk_rows: money rows parsed and checked at a time.
    """
    from adapters.quality.chunked import check_report_chunks  # GX loads on first use
    from domain.settlement.model import ReportChunk
    from domain.settlement.parse import iter_report
    from domain.settlement.tally import ReportTally

    def chunks() -> Iterator[ReportChunk]:
        with io.BufferedReader(_LimitedFile(path, max_bytes)) as stream:
            yield from iter_report(stream, max_bytes=max_bytes, chunk_rows=chunk_rows)

    # A regular file can be read twice: its row-key hashes take 8 bytes a row, and repeated
    # ones are confirmed on a second pass. A pipe is read once (about 40 bytes a row).
    reread = chunks if path.is_file() else None
    tally = ReportTally()
    try:
        check = check_report_chunks(tally.counted(chunks()), reread=reread)
    except ReportError as problem:
        return unreadable(problem)
    summary = tally.facts()
    summary["valid"] = check.valid
    summary["failed_expectations"] = list(check.failed_expectations)
    return Imported(summary, check)


class _LimitedFile(io.RawIOBase):
    """A report file read through, refused with `inbox.read_report_file`'s words past the limit."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        size = path.stat().st_size
        if size > max_bytes:
            raise ReportError(f"{path.name} has {size} bytes, more than the limit of {max_bytes}")
        self._name = path.name
        self._limit = self._left = max_bytes
        self._file = path.open("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = self._file.readinto(view[: self._left + 1]) or 0
        if count > self._left:
            raise ReportError(f"{self._name} is larger than the limit of {self._limit} bytes")
        self._left -= count
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def import_report(
    res: Resources,
    data: bytes,
    source: str,
    progress: Progress | None = None,
    max_bytes: int = importer.MAX_REPORT_BYTES,
) -> Imported:
    """Parse, check and post one report's bytes: at most once per settlement id.

    Args:
        source: where the bytes came from (`inbox:<file>`), stored with their digest.
        progress: told how far the import is, for a long report.
    """
    from adapters.quality.runner import check_report  # Great Expectations loads on first use

    told = progress or (lambda _share: None)
    origin = ReportSource.of_bytes(source, data)
    try:
        report = parse_report(data, max_bytes=max_bytes)
    except ReportError as problem:
        return unreadable(problem)
    told(40.0)
    check = check_report(report)
    summary = importer.outcome(report, check)
    told(70.0)
    posted = post_with(res.uow, importer.accounts_of(res.settings), report, check, origin)
    told(100.0)
    return Imported({**summary, **posted.outcome()}, check, posted)


def post_with(
    uow: Callable[[], UnitOfWork],
    accounts: Accounts,
    report: ParsedReport,
    check: CheckResult,
    source: ReportSource,
) -> PostResult:
    """Post a checked report in one transaction; a concurrent first import is met by looking
    again (the retry finds it posted)."""
    for attempt in range(POST_ATTEMPTS):
        try:
            with uow() as work:
                posted = post(work.settlements, accounts, report, check, source)
                work.commit()
                return posted
        except ConcurrentImport:
            if attempt == POST_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def post(
    reports: SettlementRepository,
    accounts: Accounts,
    report: ParsedReport,
    check: CheckResult,
    source: ReportSource,
) -> PostResult:
    """The store is read, the domain decides, the store writes: all in the caller's transaction.

    A report posted before answers ALREADY_POSTED and adds nothing; one that failed its check
    is stored REJECTED with the check's result and posts nothing.
    """
    settlement_id = report.header.settlement_id
    stored = reports.lock(settlement_id)
    if stored is not None and stored.status is ReportStatus.POSTED:
        same = None if source.sha256 is None else stored.sha256 == source.sha256
        return PostResult(
            settlement_id, PostOutcome.ALREADY_POSTED, attempts=stored.attempts, same_content=same
        )
    attempts = reports.record_attempt(report.header, source, check)
    if not check.valid:
        reports.reject()
        return PostResult(settlement_id, PostOutcome.REJECTED, attempts=attempts)
    reports.ensure_accounts(accounts)
    view = reports.documents_for(report.frame)
    plan = plan_posting(report.frame, view, accounts)
    posted = posted_result(settlement_id, plan, attempts)
    reviews = review_records(plan.review)
    reports.book(plan, reviews)
    return posted


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


def download(res: Resources, report: ListedReport) -> bytes:
    """The report's bytes, from a document URL fetched right now (it lives 30 seconds)."""
    return amazon_api.download(res.amazon, report, importer.MAX_REPORT_BYTES)


def inbox_files(res: Resources) -> list[Path]:
    """The report files waiting in the inbox folder, oldest first."""
    return inbox.pending_files(res.settings.inbox_dir)


def read_inbox_file(path: Path) -> bytes:
    """A waiting file's bytes, refused above the size limit."""
    return inbox.read_report_file(path, importer.MAX_REPORT_BYTES)


def file_away(path: Path, status: PostOutcome) -> Path:
    """Move an imported file to `done/` (posted, already posted) or `rejected/`."""
    return inbox.move_processed(path, inbox.DONE if status.done else inbox.REJECTED)

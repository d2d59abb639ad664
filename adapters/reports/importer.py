"""One settlement report's way into the store, never held whole: the import pipeline.

`import_file` opens the report file (adapters.reports.report_file: read in pieces, size-limited)
and posts it in one unit of work, at most once per settlement id: `stage_report` passes the
report's chunks (parsed by adapters.settlement_formats) through the quality check one by one,
planning and staging each in the transaction as it passes (adapters.erp.settlements); then
`post` books it from staging and commits, or answers ALREADY_POSTED, or REJECTED: the staging is
rolled back and the rejection is stored with its check in a transaction of its own. A concurrent
first import of the same report makes an attempt give way; the next one reads the file again and
finds it posted. The use case is `services.settlements.import_report`; this module is its
pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.erp.settlements import ConcurrentImport, SettlementRepository, StoredReport
from adapters.erp.store import UnitOfWork
from adapters.quality.result import CheckResult
from adapters.reports.report_file import Progress, Streamed, open_report
from adapters.settings import ModuleSettings
from adapters.settlement_formats.parse import DEFAULT_MAX_BYTES
from adapters.settlement_formats.tally import ReportTally
from domain.settlement.model import ReportChunk, ReportError, ReportHeader
from domain.settlement.posting import Accounts, PostingTotals
from domain.settlement.states import PostOutcome, PostResult, ReportSource, ReportStatus

MAX_REPORT_BYTES = DEFAULT_MAX_BYTES  # `settlement parse`; imports take the settings' limits
POST_ATTEMPTS = 3  # a concurrent import of the same report makes the first attempt give way


@dataclass(frozen=True)
class Imported:
    """One report's way through parse, check and post, as the run summary and the CLI show it.

    `summary` is the JSON outcome (`outcome`); an unreadable report has neither check nor post,
    and its summary says why.
    """

    summary: dict[str, Any]
    check: CheckResult | None = None
    posted: PostResult | None = None

    @property
    def status(self) -> PostOutcome:
        """What importing did: the post's outcome, or UNREADABLE when the bytes did not parse."""
        return PostOutcome.UNREADABLE if self.posted is None else self.posted.status


@dataclass(frozen=True)
class Limits:
    """Size limits of one import: a file's, and a pipe's or device's (no size stated)."""

    file_bytes: int
    stream_bytes: int


def unreadable(problem: ReportError) -> Imported:
    """The outcome of bytes that do not parse: the reason, nothing else."""
    return Imported({"status": PostOutcome.UNREADABLE.value, "reason": str(problem)})


def import_file(
    uow: Callable[[], UnitOfWork],
    path: Path,
    source: str,
    accounts: Accounts,
    limits: Limits,
    progress: Progress | None = None,
) -> Imported:
    """Open a report file and post it (see `post_with`); unreadable or too large: an outcome."""
    try:
        report = open_report(path, limits.file_bytes, limits.stream_bytes)
        with report:  # closes the file
            report.progress = progress
            return post_with(uow, accounts, report, source)
    except ReportError as problem:
        return unreadable(problem)
    except OSError as problem:
        return unreadable(ReportError(f"cannot read: {problem.strerror or problem}"))


def post_with(
    uow: Callable[[], UnitOfWork], accounts: Accounts, report: Streamed, source: str
) -> Imported:
    """Stage the report in one transaction and post it there if its check passed; a rejected
    one is rolled back and stored REJECTED. A concurrent first import is met by looking again
    (the retry finds it posted). A ReportError from any chunk rolls everything back: the report
    is UNREADABLE."""
    for attempt in range(POST_ATTEMPTS):
        try:
            with uow() as work:
                reports = work.settlements  # one repository: it holds the report's row
                staged = stage_report(reports, report, source, accounts)
                origin = ReportSource(source, report.sha256())
                posted = post(reports, staged, origin, accounts)
                if posted.status is PostOutcome.POSTED:
                    work.commit()
            if posted.status is PostOutcome.REJECTED:
                posted = reject_with(uow, staged, origin)
            report.told(100.0)
            summary = checked(staged.tally.facts(), staged.check)
            return Imported({**summary, **posted.outcome()}, staged.check, posted)
        except ReportError as problem:  # from any chunk: the transaction rolled back
            return unreadable(problem)
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


@dataclass
class Staged:
    """What one pass over a report found, and what it staged for posting.

    `totals` is None when nothing was staged: the report was found posted before.
    """

    header: ReportHeader
    check: CheckResult
    stored: StoredReport | None
    tally: ReportTally  # rows and sum of what was read
    totals: PostingTotals | None = None
    attempts: int = 0


def stage_report(
    reports: SettlementRepository, report: Streamed, source: str, accounts: Accounts
) -> Staged:
    """Parse, check and stage one report in the repository's transaction, chunk by chunk.

    The first chunk's header locks the report's row (posted before: nothing is staged, the
    rest is only checked) and claims it for this attempt. A ReportError from any chunk ends
    the pass: the caller's transaction rolls back.
    """
    passing = _Passing(reports, source, accounts)
    check = report.check(passing.through(report.chunks()))
    return passing.staged(check)


class _Passing:
    """The chunks on their way to the check: each is counted, planned and staged first."""

    def __init__(self, reports: SettlementRepository, source: str, accounts: Accounts):
        self.reports, self.source, self.accounts = reports, source, accounts
        self.header: ReportHeader | None = None
        self.stored: StoredReport | None = None
        self.totals: PostingTotals | None = None
        self.tally = ReportTally()
        self.attempts = 0

    def through(self, chunks: Iterable[ReportChunk]) -> Iterator[ReportChunk]:
        for chunk in self.tally.counted(chunks):
            if self.header is None:
                self._begin(chunk.header)
            if self.totals is not None:
                self.reports.stage(chunk.frame, self.accounts, self.totals)
            yield chunk

    def _begin(self, header: ReportHeader) -> None:
        self.header = header
        self.stored = self.reports.lock(header.settlement_id)
        if self.stored is None or self.stored.status is not ReportStatus.POSTED:
            self.attempts = self.reports.claim(header, self.source)
            self.reports.open_staging()
            self.totals = PostingTotals()

    def staged(self, check: CheckResult) -> Staged:
        if self.header is None:
            raise ReportError("the report has no rows and no header")
        return Staged(self.header, check, self.stored, self.tally, self.totals, self.attempts)


def accounts_of(settings: ModuleSettings) -> Accounts:
    """The finance accounts configured in the settings."""
    return Accounts(
        income=settings.account_income,
        expenses=settings.account_expenses,
        fees=settings.account_amazon_fees,
        clearing=settings.account_clearing or None,
    )


def checked(summary: dict[str, Any], result: CheckResult) -> dict[str, Any]:
    """The report's facts plus the check's verdict."""
    summary["valid"] = result.valid
    summary["failed_expectations"] = list(result.failed_expectations)
    return summary

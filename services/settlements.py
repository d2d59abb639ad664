"""Settlement reconciliation (processes 6 and 7): where reports come from, and one report's
way through parse, check and post (at most once per settlement id).

Reports come from the Amazon Pay Reports API (listed from the last complete listing, downloaded
one at a time) and from the inbox folder (moved to `done/` or `rejected/` once imported). Parse,
check and post stay three functions: the flow runs each as a task (a large report shows its
progress between them), the command line calls them in turn. No Prefect here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.amazon_pay import AmazonPayClient
from adapters.erp.settlements import ConcurrentImport
from adapters.erp.settlements import PostResult as PostResult  # the outcomes, for tasks/flows
from adapters.erp.settlements import ReportSource as ReportSource
from adapters.erp.store import UnitOfWork
from adapters.quality.result import CheckResult
from adapters.reports import amazon_api, importer, inbox
from adapters.reports.amazon_api import ListedReport
from adapters.settings import AmazonPaySettings
from domain.settlement.model import ParsedReport
from domain.settlement.posting import Accounts
from domain.settlement.states import PostOutcome
from services.resources import Resources

POST_ATTEMPTS = 3  # a concurrent import of the same report makes the first attempt give way


def parse(data: bytes, max_bytes: int = importer.MAX_REPORT_BYTES) -> ParsedReport:
    """A report's bytes as the canonical frame; unreadable or unsafe bytes raise ReportError."""
    return importer.parse(data, max_bytes)


def check(report: ParsedReport) -> CheckResult:
    """The data-quality verdict on a parsed report (nothing is posted without it)."""
    return importer.check(report)


def source_of(name: str, data: bytes) -> ReportSource:
    """The source a report came from, with its content digest (tells a changed file apart)."""
    return ReportSource(name, inbox.digest(data))


def post(
    res: Resources, report: ParsedReport, result: CheckResult, source: ReportSource
) -> PostResult:
    """Post a checked report once, to the configured accounts (or store it rejected)."""
    return post_with(res.uow, importer.accounts_of(res.settings), report, result, source)


def post_with(
    uow: Callable[[], UnitOfWork],
    accounts: Accounts,
    report: ParsedReport,
    result: CheckResult,
    source: ReportSource,
) -> PostResult:
    """Post in one transaction; a concurrent first import is met by looking again."""
    for attempt in range(POST_ATTEMPTS):
        try:
            with uow() as work:
                posted = work.settlements.post(report, result, accounts, source)
                work.commit()
                return posted
        except ConcurrentImport:
            if attempt == POST_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


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

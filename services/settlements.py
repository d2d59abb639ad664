"""Settlement reconciliation (processes 6 and 7): where reports come from, and one report's
way through parse, check and post (at most once per settlement id).

Reports come from the Amazon Pay Reports API (listed from the last complete listing, each
downloaded to a temporary file when it is its turn) and from the inbox folder (moved to `done/`
or `rejected/` once imported). `import_report` hands one report file, once, to the import
pipeline (`adapters.reports.importer`): in one unit of work the file is read in pieces, parsed
in chunks (settlement_formats), each chunk checked (quality) and planned and staged in the
transaction (store);
then the report is booked from staging, or found posted before, or rejected (rolled back, then
stored REJECTED with its check). The report is never held whole. An unreadable report is an
outcome (`Imported`), not an exception. No Prefect here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.amazon_pay import AmazonPayClient
from adapters.reports import amazon_api, importer, inbox
from adapters.reports.amazon_api import ListedReport
from adapters.reports.importer import Imported as Imported  # the outcome, named here too
from adapters.reports.importer import unreadable
from adapters.reports.review_file import write_review_csv
from adapters.settings import AmazonPaySettings
from domain.settlement.model import DEFAULT_CHUNK_ROWS, ReportError
from domain.settlement.review import FIRST_ROWS, ReviewExport, review_line, totals_by_reason
from domain.settlement.states import PostOutcome
from services.resources import Resources

Progress = Callable[[float], None]  # told the share done (0 to 100) along the way


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
    from adapters.reports.report_file import bounded_file
    from adapters.settlement_formats.parse import iter_report
    from adapters.settlement_formats.tally import ReportTally
    from domain.settlement.model import ReportChunk

    def chunks() -> Iterator[ReportChunk]:
        with bounded_file(path, max_bytes) as stream:
            yield from iter_report(stream, max_bytes=max_bytes, chunk_rows=chunk_rows)

    # A regular file can be read twice: its row-key hashes take 8 bytes a row, and repeated
    # ones are confirmed on a second pass. A pipe is read once (about 40 bytes a row).
    reread = chunks if path.is_file() else None
    tally = ReportTally()
    try:
        check = check_report_chunks(tally.counted(chunks()), reread=reread)
    except ReportError as problem:
        return unreadable(problem)
    return Imported(importer.checked(tally.facts(), check), check)


def import_report(
    res: Resources,
    path: Path,
    source: str,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> Imported:
    """Parse, check and post one report file, read in pieces: at most once per settlement id.

    The file goes down once, to the import pipeline (`adapters.reports.importer.import_file`):
    one unit of work stages it chunk by chunk while it is parsed and checked, and books it from
    staging only when the whole report passed.

    Args:
        source: where the file came from (`inbox:<file>`), stored with its digest.
        progress: told how far the import is, for a long report.
        max_bytes: the size limit; by default the settings' (for a file, for a pipe).
    """
    settings = res.settings
    limits = importer.Limits(
        max_bytes or settings.max_report_bytes_file, max_bytes or settings.max_report_bytes_stream
    )
    accounts = importer.accounts_of(settings)
    return importer.import_file(res.uow, path, source, accounts, limits, progress)


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

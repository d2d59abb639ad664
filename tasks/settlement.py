"""Thin Prefect tasks of settlement reconciliation: each wraps one step of
`services.settlements` and adds Prefect's concerns (names, retries, artifacts, progress).

Retries sit on the I/O tasks only (the Amazon Pay API, the store); reading local files is not
retried. Reports travel as file paths (a download lands in a temporary file), never as bytes;
resources travel with `cache_policy=NONE`: hashing them for a cache key is useless
(prefect-gx-notes.md §2), and posting is idempotent by its own design.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import cast
from uuid import UUID

from prefect import task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NONE

from adapters.reports.amazon_api import ListedReport
from domain.settlement.review import ReviewExport
from domain.settlement.states import PostOutcome
from services import settlements
from services.resources import Resources
from services.settlements import Imported, Progress

API_DELAYS: list[float] = [10, 60, 300]  # Amazon outages and throttling, beyond the client's own
STORE_DELAYS: list[float] = [2, 10]  # a database restart or a lock timeout
LARGE_REPORT_BYTES = 5 * 1024 * 1024  # above this a report gets a progress artifact
DOWNLOADS = Path(tempfile.gettempdir()) / "amazon-payments-reports"  # removed after the import


@task(cache_policy=NONE, retries=len(STORE_DELAYS), retry_delay_seconds=STORE_DELAYS)
def listing_start(res: Resources, now: datetime) -> datetime:
    return settlements.listing_start(res, now)


@task(cache_policy=NONE, retries=len(STORE_DELAYS), retry_delay_seconds=STORE_DELAYS)
def save_listing(res: Resources, started: datetime) -> None:
    settlements.listing_complete(res, started)


@task(cache_policy=NONE, retries=len(API_DELAYS), retry_delay_seconds=API_DELAYS)
def list_api_reports(
    res: Resources, since: datetime, until: datetime | None = None
) -> list[ListedReport]:
    """Every completed settlement report created in the window (all pages)."""
    return settlements.list_api_reports(res, since, until)


@task(cache_policy=NONE, retries=len(STORE_DELAYS), retry_delay_seconds=STORE_DELAYS)
def posted_sources(res: Resources, sources: list[str]) -> set[str]:
    return settlements.posted_sources(res, sources)


@task(cache_policy=NONE, retries=len(API_DELAYS), retry_delay_seconds=API_DELAYS)
def download_api_report(res: Resources, report: ListedReport) -> Path:
    """The report as a temporary file, from a document URL fetched right now (it lives 30
    seconds); `discard_download` removes it after the import."""
    return settlements.download(res, report, DOWNLOADS)


@task(cache_policy=NONE)
def discard_download(path: Path) -> None:
    path.unlink(missing_ok=True)


@task(cache_policy=NONE)
def list_inbox(res: Resources) -> list[Path]:
    return settlements.inbox_files(res)


@task(cache_policy=NONE)
def move_inbox_file(path: Path, status: PostOutcome) -> str:
    return str(settlements.file_away(path, status))


@task(cache_policy=NONE, retries=len(STORE_DELAYS), retry_delay_seconds=STORE_DELAYS)
def import_report(res: Resources, path: Path, source: str) -> Imported:
    """Parse, check and post one report file (read in pieces); a failed check becomes a table
    artifact, and a large report shows its progress.

    A retry parses and checks again (both deterministic) and posts nothing twice.
    """
    size = path.stat().st_size if path.is_file() else 0
    progress = _progress_of(source, size) if size > LARGE_REPORT_BYTES else None
    imported = settlements.import_report(res, path, source, progress)
    check = imported.check
    settlement = imported.summary.get("settlement_id", "")
    key = f"settlement-{artifact_slug(settlement)}"
    if check is not None and not check.valid:
        create_table_artifact(
            key=f"{key}-failed-expectations",
            table=check.to_table(),
            description=f"Settlement {settlement} rejected: {check.message()}",
        )
    return imported


def _progress_of(source: str, size: int) -> Progress:
    """A progress artifact for a large report, and the function that moves it on."""
    made = create_progress_artifact(
        progress=0.0, key="settlement-progress", description=f"{source}: {size / 1e6:.0f} MB"
    )
    artifact_id = cast(UUID, made)  # the sync call returns the id (a coroutine only in async code)

    def move_on(share: float) -> None:
        update_progress_artifact(artifact_id=artifact_id, progress=share)

    return move_on


def artifact_slug(text: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in slug.split("-") if part) or "report"


@task(cache_policy=NONE)
def publish_summary(flow_name: str, markdown: str) -> None:
    create_markdown_artifact(key=f"{flow_name}-summary", markdown=markdown)


@task(cache_policy=NONE, retries=len(STORE_DELAYS), retry_delay_seconds=STORE_DELAYS)
def export_review(res: Resources, settlement_id: str) -> ReviewExport:
    """Sum up a posted report's review list and write all of it as a CSV beside the store."""
    return settlements.export_review(res, settlement_id)


@task(cache_policy=NONE)
def publish_review(reviews: list[ReviewExport]) -> None:
    """The `settlement-review` artifact: per report, rows not booked by reason, the first rows
    with amount type and reason, and where the CSV of all of them is."""
    create_markdown_artifact(
        key="settlement-review",
        markdown="# Settlement rows to review\n\n" + "\n".join(r.markdown() for r in reviews),
        description=f"{len(reviews)} report(s) with rows to review",
    )

"""Thin Prefect tasks of settlement reconciliation: each wraps one step of
`services.settlements` and adds Prefect's concerns (names, retries, artifacts, progress).

Retries sit on the I/O tasks only (the Amazon Pay API, the store); parse and check are
deterministic and never retried, and reading local files is not either. Bytes, frames and
resources travel with `cache_policy=NONE`: hashing a report for a cache key costs more than
the step itself (prefect-gx-notes.md §2), and posting is idempotent by its own design.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from prefect import task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NONE

from adapters.quality.result import CheckResult
from adapters.reports.amazon_api import ListedReport
from domain.money import Money
from domain.settlement.model import ParsedReport
from domain.settlement.states import PostOutcome
from services import settlements
from services.resources import Resources
from services.settlements import PostResult, ReportSource

API_DELAYS: list[float] = [10, 60, 300]  # Amazon outages and throttling, beyond the client's own
STORE_DELAYS: list[float] = [2, 10]  # a database restart or a lock timeout


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
def download_api_report(res: Resources, report: ListedReport) -> bytes:
    """The report's bytes, from a document URL fetched right now (it lives 30 seconds)."""
    return settlements.download(res, report)


@task(cache_policy=NONE)
def list_inbox(res: Resources) -> list[Path]:
    return settlements.inbox_files(res)


@task(cache_policy=NONE)
def read_inbox_file(path: Path) -> bytes:
    return settlements.read_inbox_file(path)


@task(cache_policy=NONE)
def move_inbox_file(path: Path, status: PostOutcome) -> str:
    return str(settlements.file_away(path, status))


@task(cache_policy=NONE)
def parse_report(data: bytes) -> ParsedReport:
    return settlements.parse(data)


@task(cache_policy=NONE)
def check_report(report: ParsedReport) -> CheckResult:
    return settlements.check(report)


@task(cache_policy=NONE, retries=len(STORE_DELAYS), retry_delay_seconds=STORE_DELAYS)
def post_report(
    res: Resources, report: ParsedReport, result: CheckResult, source: ReportSource
) -> PostResult:
    """Post once, atomically; a retry after a lost commit answers already_posted."""
    return settlements.post(res, report, result, source)


@task(cache_policy=NONE)
def publish_report_artifacts(
    summary: dict[str, Any], result: CheckResult, posted: PostResult | None
) -> None:
    """Failed expectations and the review rows of one report, as table artifacts."""
    key = f"settlement-{artifact_slug(summary['settlement_id'])}"
    if not result.valid:
        create_table_artifact(
            key=f"{key}-failed-expectations",
            table=result.to_table(),
            description=f"Settlement {summary['settlement_id']} rejected: {result.message()}",
        )
    if posted is not None and posted.unmatched_rows:
        create_table_artifact(
            key=f"{key}-review",
            table=[_review_line(row) for row in posted.review_sample],
            description=(
                f"Settlement {summary['settlement_id']}: {posted.unmatched_rows} row(s) to "
                f"review (first {len(posted.review_sample)} shown; all in settlement_review)"
            ),
        )


def _review_line(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("source_line", "transaction_kind", "merchant_order_id", "transaction_id")
    return {
        **{name: row.get(name) for name in keep},
        "amount": str(Money.from_minor(int(row["amount_minor"]), str(row["currency"]))),
        "reason": row.get("reason"),
    }


def artifact_slug(text: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in slug.split("-") if part) or "report"


@task(cache_policy=NONE)
def start_progress(description: str) -> UUID:
    made = create_progress_artifact(
        progress=0.0, key="settlement-progress", description=description
    )
    return cast(UUID, made)  # the sync call returns the id (a coroutine only in async code)


@task(cache_policy=NONE)
def set_progress(artifact_id: UUID, progress: float) -> None:
    update_progress_artifact(artifact_id=artifact_id, progress=progress)


@task(cache_policy=NONE)
def publish_summary(flow_name: str, markdown: str) -> None:
    create_markdown_artifact(key=f"{flow_name}-summary", markdown=markdown)

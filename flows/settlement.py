"""Settlement reconciliation (process 6) and its backfill (process 7).

`reconcile-settlements` reads new reports from the Amazon Pay Reports API (from the last complete
listing, at most 90 days back) and from the inbox folder, then parses, checks and posts them one
at a time. `backfill-settlements` fetches a past date range again; posting is keyed by the
settlement id, so a backfill never adds what the daily run has posted. Both publish their
summary as a markdown artifact and end in a state named for the run's worst outcome: Completed
as Posted, AlreadyPosted or NothingNew; Failed as Rejected (a report failed its check or could
not be read) or Errors (a source could not be fetched), with the reason as the message. The
summary dict is the state's data. Both do nothing when import_settlements is off.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.states import Completed, Failed, State

from adapters.amazon_pay import AmazonPayError
from adapters.reports import amazon_api
from adapters.reports.run_summary import RunSummary
from adapters.settings import ModuleSettings
from domain.settlement.states import PostOutcome, SourceKind
from services import settlements
from services.resources import Resources, resources
from tasks import settlement as steps

OFF = "import_settlements is off (AMAZON_PAYMENTS_IMPORT_SETTLEMENTS): nothing was imported"


def daily_run_name() -> str:
    """`reconcile-settlements-<date>`, the date in the business time zone."""
    zone = ModuleSettings().zone
    return f"reconcile-settlements-{datetime.now(zone).date()}"


@flow(name="reconcile-settlements", flow_run_name=daily_run_name)
def reconcile_settlements() -> State:
    """Import every new settlement report from the Reports API and the inbox folder."""
    run = RunSummary("reconcile-settlements")
    with resources() as res:
        if not res.settings.import_settlements:
            return finish(run, note=OFF)
        if settlements.reports_api(res) is None:
            run.notes.append("Amazon Pay is not configured: the Reports API was not read")
        else:
            from_api(run, res, window=None)
        from_inbox(run, res)
    return finish(run)


@flow(name="backfill-settlements", flow_run_name="backfill-settlements-{start}..{end}")
def backfill_settlements(start: date, end: date) -> State:
    """Fetch and import the settlement reports created from `start` to `end` (inclusive)."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    run = RunSummary("backfill-settlements")
    with resources() as res:
        if not res.settings.import_settlements:
            return finish(run, note=OFF)
        if settlements.reports_api(res) is None:
            return finish(
                run, note="Amazon Pay is not configured: there is nothing to backfill from"
            )
        zone = res.settings.zone
        since = datetime.combine(start, time(), zone).astimezone(UTC)
        until = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC)
        if since < datetime.now(UTC) - amazon_api.RETENTION:
            run.notes.append(f"Amazon keeps reports 90 days: reports before {start} may be gone")
        from_api(run, res, window=(since, until))
    return finish(run)


def from_api(run: RunSummary, res: Resources, window: tuple[datetime, datetime] | None) -> None:
    """List the window's reports (default: since the last complete listing) and import each."""
    started = datetime.now(UTC)
    since, until = window or (steps.listing_start(res, started), None)
    try:
        listed = steps.list_api_reports(res, since, until)
    except AmazonPayError as problem:
        run.errors.append(f"Get Reports failed: {problem}")
        return
    known = steps.posted_sources(res, [report.source for report in listed])
    for report in listed:
        if report.source in known:
            skipped = {"status": PostOutcome.ALREADY_POSTED.value, "note": "not fetched again"}
            run.add(report.source, skipped)
            continue
        try:
            path = steps.download_api_report(res, report)
        except AmazonPayError as problem:
            run.errors.append(f"{report.source}: download failed: {problem}")
            continue
        try:
            import_one(run, res, path, report.source)
        finally:
            steps.discard_download(path)
    if window is None and not run.errors:
        steps.save_listing(res, started)


def from_inbox(run: RunSummary, res: Resources) -> None:
    """Import every file waiting in the inbox; move it to done/ or rejected/ afterwards."""
    for path in steps.list_inbox(res):
        status = import_one(run, res, path, SourceKind.INBOX.source(path.name))
        steps.move_inbox_file(path, status)


def import_one(run: RunSummary, res: Resources, path: Path, source: str) -> PostOutcome:
    """Parse, check and post one report file; returns what that did (UNREADABLE if unreadable
    or unparsable)."""
    imported = steps.import_report(res, path, source)
    run.add(source, imported.summary, imported.posted)
    posted = imported.posted
    if posted is not None and posted.status is PostOutcome.POSTED and posted.unmatched_rows:
        run.reviews.append(steps.export_review(res, posted.settlement_id))
    return imported.status


def finish(run: RunSummary, note: str | None = None) -> State:
    """Publish the run's summary, then end in the state of its worst outcome."""
    if note:
        run.notes.append(note)
    logger = get_run_logger()
    for line in run.notes:
        logger.info(line)
    steps.publish_summary(run.flow, run.markdown())
    if run.reviews:
        steps.publish_review(run.reviews)
    summary = run.to_dict()
    logger.info("settlements: %s", {k: v for k, v in summary.items() if k != "details"})
    return end_state(run, summary)


def end_state(run: RunSummary, summary: dict[str, Any]) -> State:
    """The run's worst outcome: Errors, Rejected, Posted, AlreadyPosted, NothingNew."""
    if run.errors:
        return Failed(name="Errors", message="; ".join(run.errors), data=summary)
    bad = [
        f"{report['source']}: {report.get('reason') or report['status']}"
        for report in run.reports
        if report["status"] in (PostOutcome.REJECTED, PostOutcome.UNREADABLE)
    ]
    if bad:
        return Failed(name="Rejected", message="; ".join(bad), data=summary)
    counted = f"{summary['posted']} posted, {summary['already_posted']} already posted"
    message = f"{counted}, {summary['payments_created']} payment(s) created"
    if summary["posted"]:
        return Completed(name="Posted", message=message, data=summary)
    if summary["already_posted"]:
        return Completed(name="AlreadyPosted", message=message, data=summary)
    return Completed(name="NothingNew", message="; ".join(run.notes) or message, data=summary)

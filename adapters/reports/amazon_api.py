"""Settlement reports from the Amazon Pay Reports API: list (all pages), then download each.

Amazon keeps reports for 90 days, so `createdSince` is never older than that. A report document's
URL lives 30 seconds, so a report is downloaded right when it is its turn (`download`), never
from a URL fetched earlier.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.amazon_pay import AmazonPayClient
from adapters.settings import AmazonPaySettings
from domain.settlement.states import SourceKind

SOURCE = "amazon-pay-api"
RETENTION = timedelta(days=90)
# Reports created while the last run was listing could be missed without a little overlap;
# re-listed reports cost a download and end as already_posted.
OVERLAP = timedelta(hours=1)
SETTLEMENT_TYPES = {
    "live": "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_",
    "sandbox": "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SANDBOX_SETTLEMENT_DATA_",
}
PAGE_SIZE = 100


@dataclass(frozen=True)
class ListedReport:
    """A completed settlement report that the API listed; content behind `document_id`."""

    report_id: str
    report_type: str
    document_id: str
    created: datetime | None

    @property
    def source(self) -> str:
        return SourceKind.AMAZON_PAY.source(self.report_id)


def configured(settings: AmazonPaySettings) -> bool:
    """Whether Amazon Pay credentials (key id and private key) are set at all."""
    return bool(settings.public_key_id and settings.private_key.get_secret_value())


def created_since(last_success: datetime | None, now: datetime) -> datetime:
    """Where listing starts: the last complete listing (with overlap), at most 90 days back."""
    oldest = now - RETENTION
    if last_success is None:
        return oldest
    return max(oldest, last_success - OVERLAP)


def list_settlement_reports(
    client: AmazonPayClient,
    since: datetime,
    until: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> list[ListedReport]:
    """Every completed settlement report created in [since, until], oldest first."""
    report_type = SETTLEMENT_TYPES[client.endpoint.environment]
    listed = [
        ListedReport(r.report_id, r.report_type, r.report_document_id, r.created_time)
        for r in client.iter_reports(
            report_types=[report_type],
            processing_statuses=["COMPLETED"],
            created_since=since,
            created_until=until,
            page_size=page_size,
        )
        if r.report_document_id
    ]
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(listed, key=lambda r: (r.created or epoch, r.report_id))


def download(client: AmazonPayClient, report: ListedReport, max_bytes: int) -> bytes:
    """The report's bytes, fetched with a fresh document URL."""
    return client.download_report_document(report.document_id, max_bytes=max_bytes)


def download_to(
    client: AmazonPayClient, report: ListedReport, max_bytes: int, folder: Path
) -> Path:
    """The report as a file in `folder` (the caller removes it), for a streamed import.

    The client still answers the whole document as bytes (bounded by `max_bytes`); they are
    written out and dropped before the import reads the file in pieces.
    """
    folder.mkdir(parents=True, exist_ok=True)
    data = download(client, report, max_bytes)
    with tempfile.NamedTemporaryFile(
        dir=folder, prefix="download-", suffix=".report", delete=False
    ) as file:
        file.write(data)
    return Path(file.name)

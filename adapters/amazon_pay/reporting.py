"""Reporting operations of the Amazon Pay client: list reports, get one, download its document.

A report document's URL expires 30 seconds after Amazon issues it, so the download follows the
Get Report Document call at once; if the download is refused as expired (403, or an answer that
says "expired") the document is fetched again once and the download retried.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from adapters.amazon_pay.endpoints import path_segment
from adapters.amazon_pay.errors import ApiError, UnexpectedResponse
from adapters.amazon_pay.models import Report, ReportDocument, ReportsPage
from adapters.amazon_pay.session import ApiSession
from adapters.amazon_pay.signing import format_amz_date
from adapters.amazon_pay.throttle import Operation

log = logging.getLogger(__name__)
MAX_REPORT_BYTES = 256 * 1024 * 1024


def report_filters(
    report_types: Sequence[str],
    processing_statuses: Sequence[str],
    created_since: datetime | None,
    created_until: datetime | None,
    page_size: int | None,
) -> list[tuple[str, str]]:
    """The Get Reports query parameters that are set (lists comma-joined, times compact UTC)."""
    if page_size is not None and page_size < 1:
        raise ValueError(f"page_size must be >= 1, got {page_size}")
    candidates = (
        ("reportTypes", ",".join(report_types)),
        ("processingStatuses", ",".join(processing_statuses)),
        ("createdSince", format_amz_date(created_since) if created_since else ""),
        ("createdUntil", format_amz_date(created_until) if created_until else ""),
        ("pageSize", str(page_size) if page_size is not None else ""),
    )
    return [(name, value) for name, value in candidates if value]


def is_expired_url(error: ApiError) -> bool:
    """Whether a download error means the pre-signed URL has expired."""
    return error.status == 403 or "expired" in error.message.lower()


class ReportsApi:
    """Operations on reports and report documents."""

    _session: ApiSession

    def get_reports(
        self,
        *,
        report_types: Sequence[str] = (),
        processing_statuses: Sequence[str] = (),
        created_since: datetime | None = None,
        created_until: datetime | None = None,
        page_size: int | None = None,
        next_token: str | None = None,
    ) -> ReportsPage:
        """Get Reports, one page. With `next_token` nothing else may be given (Amazon's rule)."""
        if next_token is None:
            params = report_filters(
                report_types, processing_statuses, created_since, created_until, page_size
            )
        elif any((report_types, processing_statuses, created_since, created_until, page_size)):
            raise ValueError("get_reports: pass either next_token or filters, not both")
        else:
            params = [("nextToken", next_token)]
        return self._session.call(
            ReportsPage, Operation.GET_REPORTS, "GET", "/reports", params=params
        )

    def iter_reports(self, **filters: Any) -> Iterator[Report]:
        """All reports matching `filters` (keywords of `get_reports`), following nextToken."""
        page = self.get_reports(**filters)
        yield from page.reports
        while page.next_token:
            page = self.get_reports(next_token=page.next_token)
            yield from page.reports

    def get_report(self, report_id: str) -> Report:
        """Get Report By Id."""
        resource = f"/reports/{path_segment('report_id', report_id)}"
        return self._session.call(Report, Operation.GET_REPORT_BY_ID, "GET", resource)

    def get_report_document(self, report_document_id: str) -> ReportDocument:
        """Get Report Document (its URL is valid for 30 seconds)."""
        resource = f"/report-documents/{path_segment('report_document_id', report_document_id)}"
        return self._session.call(ReportDocument, Operation.GET_REPORT_DOCUMENT, "GET", resource)

    def download_report_document(
        self, report_document_id: str, *, max_bytes: int = MAX_REPORT_BYTES
    ) -> bytes:
        """The report's content via a fresh document URL (fetched again once if expired)."""
        document = self.get_report_document(report_document_id)
        try:
            raw = self._session.download(document.url, max_bytes)
        except ApiError as error:
            if not is_expired_url(error):
                raise
            log.info("report document %s: URL expired, fetching it again", report_document_id)
            document = self.get_report_document(report_document_id)
            raw = self._session.download(document.url, max_bytes)
        return decompress(document, raw, max_bytes)


def decompress(document: ReportDocument, raw: bytes, max_bytes: int) -> bytes:
    """The document's bytes after its compressionAlgorithm ("N/A" today; GZIP understood)."""
    algorithm = (document.compression_algorithm or "N/A").upper()
    if algorithm in ("N/A", "NONE"):
        return raw
    if algorithm != "GZIP":
        raise UnexpectedResponse(
            f"report document {document.report_document_id}: unknown compression {algorithm!r}"
        )
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing
    try:
        content = inflater.decompress(raw, max_bytes + 1)  # bounded: no zip bombs
    except zlib.error:
        raise UnexpectedResponse(
            f"report document {document.report_document_id}: not valid GZIP"
        ) from None
    if len(content) > max_bytes:
        raise UnexpectedResponse(
            f"report document {document.report_document_id}: larger than {max_bytes} bytes"
        )
    return content

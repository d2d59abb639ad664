"""The Reports API: settlement reports per closed period, listing with filters and pages,
report documents and their short-lived download links (amazon-pay-v2.md §8).

Periods are closed explicitly (admin `POST /_admin/settlements/close`, decided: no automatic
daily close, so a demo decides when a settlement appears). Each close makes one report per
environment and currency that had captures or refunds posted since the previous close; a period
without transactions makes no report. Get Reports lists newest first; `nextToken` must be sent
alone (400 InvalidParameterCombination otherwise) and pages stay stable when reports are added.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.clock import compact, parse_timestamp
from sandbox.errors import ApiError
from sandbox.ledger import Ledger
from sandbox.settlement_csv import collect_rows, render_csv, transfer_row

SETTLEMENT_TYPES = {
    "Sandbox": "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SANDBOX_SETTLEMENT_DATA_",
    "Live": "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_",
}
KNOWN_TYPES = {
    *SETTLEMENT_TYPES.values(),
    "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_ORDER_REFERENCE_DATA_",
    "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_BILLING_AGREEMENT_DATA_",
    "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_AUTHORIZATION_DATA_",
    "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_CAPTURE_DATA_",
    "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_REFUND_DATA_",
    "_GET_CSV_CUSTOM_OFFAMAZONPAYMENTS_MULTI_CURRENCY_PAYMENTS_DATA_",
}
STATUSES = {"IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"}
RETENTION = timedelta(days=90)
FILTERS = ("reportTypes", "processingStatuses", "createdSince", "createdUntil", "pageSize")


@dataclass(frozen=True)
class Report:
    """A generated settlement report and its document."""

    report_id: str
    report_type: str
    environment: str
    start: datetime
    end: datetime
    created: datetime
    document_id: str
    content: bytes

    def to_json(self) -> dict[str, Any]:
        """The v2 Report object."""
        return {
            "reportId": self.report_id,
            "reportType": self.report_type,
            "startTime": compact(self.start),
            "endTime": compact(self.end),
            "createdTime": compact(self.created),
            "processingStatus": "COMPLETED",
            "processingStartTime": compact(self.created),
            "processingEndTime": compact(self.created),
            "reportDocumentId": self.document_id,
        }


class ReportStore:
    """Reports by id, documents by id, download links by token."""

    def __init__(
        self,
        *,
        seed: int,
        opened_at: datetime,
        seller_id: str,
        store_name: str,
        fees: tuple[Decimal, Decimal],
        zone: str,
        url_ttl: timedelta,
    ) -> None:
        self.reports: dict[str, Report] = {}
        self.period_start = opened_at
        self._random = random.Random(seed + 1)  # noqa: S311 - reproducible ids
        self._seller_id = seller_id
        self._store_name = store_name
        self._fees = fees
        self._zone = ZoneInfo(zone)
        self._url_ttl = url_ttl
        self._links: dict[str, tuple[str, datetime]] = {}

    def _number(self, digits: int) -> str:
        return str(self._random.randrange(10 ** (digits - 1), 10**digits))

    def close_period(self, ledger: Ledger, now: datetime) -> list[Report]:
        """Settle everything posted since the last close; one report per environment+currency."""
        start, self.period_start = self.period_start, now
        created: list[Report] = []
        for environment, report_type in SETTLEMENT_TYPES.items():
            by_currency = collect_rows(
                ledger, environment, start, now, self._fees, self._store_name
            )
            for currency in sorted(by_currency):
                rows = by_currency[currency]
                rows.append(transfer_row(rows, now))
                content = render_csv(
                    self._seller_id, self._number(11), start, now, rows, self._zone
                )
                document = uuid.UUID(int=self._random.getrandbits(128), version=4)
                report = Report(
                    report_id=self._number(11),
                    report_type=report_type,
                    environment=environment,
                    start=start,
                    end=now,
                    created=now,
                    document_id=f"amzn1.tortuga.4.eu.{document}.{self._number(14)}",
                    content=content,
                )
                self.reports[report.report_id] = report
                created.append(report)
        return created

    def get(self, environment: str, report_id: str) -> Report:
        """Get Report By Id (404 ResourceNotFound across environments)."""
        report = self.reports.get(report_id)
        if report is None or report.environment != environment:
            raise ApiError("ResourceNotFound", f"report {report_id} not found")
        return report

    def document(
        self, environment: str, document_id: str, now: datetime, base_url: str
    ) -> dict[str, str]:
        """Get Report Document: a download URL valid for the configured seconds."""
        for report in self.reports.values():
            if report.document_id == document_id and report.environment == environment:
                self._links = {t: v for t, v in self._links.items() if v[1] > now}
                token = secrets.token_urlsafe(24)
                self._links[token] = (report.report_id, now + self._url_ttl)
                return {
                    "reportDocumentId": document_id,
                    "url": f"{base_url}/_documents/{token}",
                    "compressionAlgorithm": "N/A",
                }
        raise ApiError("ResourceNotFound", f"report document {document_id} not found")

    def download(self, token: str, now: datetime) -> bytes | None:
        """The document behind a link, None when the link is unknown or expired."""
        link = self._links.get(token)
        if link is None or link[1] <= now:
            return None
        return self.reports[link[0]].content

    def list(self, environment: str, query: Mapping[str, str], now: datetime) -> dict[str, Any]:
        """Get Reports: filtered, newest first, one page and a nextToken when more remain."""
        if "nextToken" in query:
            if any(name in query for name in FILTERS):
                raise ApiError(
                    "InvalidParameterCombination", "nextToken must be sent without other filters"
                )
            filters, after = _decode_token(query["nextToken"])
        else:
            filters, after = _filters(query, now), None
        matching = sorted(
            (
                report
                for report in self.reports.values()
                if report.environment == environment and _matches(report, filters)
            ),
            key=lambda report: (report.created, report.report_id),
            reverse=True,
        )
        if after is not None:
            matching = [r for r in matching if (compact(r.created), r.report_id) < after]
        page_size = int(filters["pageSize"])
        page = matching[:page_size]
        answer: dict[str, Any] = {"reports": [report.to_json() for report in page]}
        if len(matching) > page_size:
            last = page[-1]
            answer["nextToken"] = _encode_token(filters, (compact(last.created), last.report_id))
        return answer


def _split(value: str, name: str, allowed: set[str]) -> list[str]:
    items = [item.strip() for item in value.split(",") if item.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise ApiError("InvalidParameterValue", f"{name}: unknown value(s) {', '.join(unknown)}")
    return items


def _time(query: Mapping[str, str], name: str, default: datetime) -> str:
    if name not in query:
        return compact(default)
    try:
        return compact(parse_timestamp(query[name]))
    except ValueError as exc:
        raise ApiError("InvalidParameterValue", f"{name}: {exc}") from None


def _filters(query: Mapping[str, str], now: datetime) -> dict[str, Any]:
    raw_size = query.get("pageSize", "10")
    if not raw_size.isdigit() or not 1 <= int(raw_size) <= 100:
        raise ApiError("InvalidParameterValue", f"pageSize must be 1..100, got {raw_size!r}")
    return {
        "reportTypes": _split(query.get("reportTypes", ""), "reportTypes", KNOWN_TYPES),
        "processingStatuses": _split(
            query.get("processingStatuses", ""), "processingStatuses", STATUSES
        ),
        "createdSince": _time(query, "createdSince", now - RETENTION),
        "createdUntil": _time(query, "createdUntil", now),
        "pageSize": int(raw_size),
    }


def _matches(report: Report, filters: dict[str, Any]) -> bool:
    if filters["reportTypes"] and report.report_type not in filters["reportTypes"]:
        return False
    if filters["processingStatuses"] and "COMPLETED" not in filters["processingStatuses"]:
        return False
    created = compact(report.created)
    return bool(filters["createdSince"] <= created <= filters["createdUntil"])


def _encode_token(filters: dict[str, Any], after: tuple[str, str]) -> str:
    raw = json.dumps({"filters": filters, "after": list(after)}).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_token(token: str) -> tuple[dict[str, Any], tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        filters, after = data["filters"], data["after"]
        return filters, (str(after[0]), str(after[1]))
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error):
        raise ApiError(
            "InvalidParameterValue", "nextToken is not a token this API issued"
        ) from None

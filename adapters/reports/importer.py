"""The steps of one settlement file that need no store: parse, check, and the JSON outcome.

Posting is `services.settlements.post` (a unit of work on the store). The outcome is one
JSON-ready dict: amounts are decimal strings.
"""

from __future__ import annotations

from typing import Any

from adapters.erp.settlements import PostResult
from adapters.quality.result import CheckResult
from adapters.settings import ModuleSettings
from domain.money import Money
from domain.settlement.model import ParsedReport
from domain.settlement.parse import DEFAULT_MAX_BYTES, parse_report
from domain.settlement.posting import Accounts
from domain.settlement.states import PostOutcome

MAX_REPORT_BYTES = DEFAULT_MAX_BYTES


def accounts_of(settings: ModuleSettings) -> Accounts:
    """The finance accounts configured in the settings."""
    return Accounts(
        income=settings.account_income,
        expenses=settings.account_expenses,
        fees=settings.account_amazon_fees,
        clearing=settings.account_clearing or None,
    )


def parse(data: bytes, max_bytes: int = MAX_REPORT_BYTES) -> ParsedReport:
    """Parse a report's bytes; unreadable, unsafe or oversized input raises ReportError."""
    return parse_report(data, max_bytes=max_bytes)


def check(report: ParsedReport) -> CheckResult:
    """Run the quality suite on a parsed report (Great Expectations loads on first use)."""
    from adapters.quality.runner import check_report

    return check_report(report)


def report_facts(report: ParsedReport) -> dict[str, Any]:
    """What the report says: id, format, currency, total (the CSV's: the sum), rows, sum."""
    header, frame = report.header, report.frame
    total_minor = int(frame["amount_minor"].sum())
    stated = header.stated_total or Money.from_minor(total_minor, header.currency)
    return {
        "settlement_id": header.settlement_id,
        "format": header.report_format,
        "currency": header.currency,
        "total_amount": str(stated.amount),
        "rows": len(frame),
        "sum_amount": str(Money.from_minor(total_minor, header.currency).amount),
    }


def outcome(
    report: ParsedReport, result: CheckResult, posted: PostResult | None = None
) -> dict[str, Any]:
    """The JSON outcome of parse + check (+ post)."""
    summary = report_facts(report)
    summary["valid"] = result.valid
    summary["failed_expectations"] = list(result.failed_expectations)
    if posted is not None:
        summary["status"] = posted.status.value
        summary["payments_created"] = posted.payments_created
        summary["unmatched_rows"] = posted.unmatched_rows
        if posted.status is PostOutcome.ALREADY_POSTED and posted.same_content is False:
            summary["note"] = "a different file with this settlement id was posted earlier"
    return summary

"""What a settlement import needs beside the store: the size limit, the configured accounts,
and the JSON outcome of parse and check (amounts as decimal strings).

The import itself is `services.settlements.import_report`.
"""

from __future__ import annotations

from typing import Any

from adapters.quality.result import CheckResult
from adapters.settings import ModuleSettings
from domain.money import Money
from domain.settlement.model import ParsedReport
from domain.settlement.parse import DEFAULT_MAX_BYTES
from domain.settlement.posting import Accounts

MAX_REPORT_BYTES = DEFAULT_MAX_BYTES


def accounts_of(settings: ModuleSettings) -> Accounts:
    """The finance accounts configured in the settings."""
    return Accounts(
        income=settings.account_income,
        expenses=settings.account_expenses,
        fees=settings.account_amazon_fees,
        clearing=settings.account_clearing or None,
    )


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


def outcome(report: ParsedReport, result: CheckResult) -> dict[str, Any]:
    """The JSON outcome of parse + check; a post adds `PostResult.outcome()`."""
    summary = report_facts(report)
    summary["valid"] = result.valid
    summary["failed_expectations"] = list(result.failed_expectations)
    return summary

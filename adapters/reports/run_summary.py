"""What one reconciliation run did, report by report: the flow's return value and its artifact."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from domain.settlement.review import ReviewExport
from domain.settlement.states import PostOutcome, PostResult

STATUSES = tuple(outcome.value for outcome in PostOutcome)
MISMATCHES_SHOWN = 10


@dataclass
class RunSummary:
    """Outcomes per report source, plus notes (things skipped) and errors (things that failed)."""

    flow: str
    reports: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reviews: list[ReviewExport] = field(default_factory=list)  # reports with rows to review

    def add(self, source: str, outcome: dict[str, Any], posted: PostResult | None = None) -> None:
        """Record one report's outcome (a dict with at least `status`) and, when it was posted
        (or rejected, or found posted), the orders booked with another amount than their own."""
        mismatches = {}
        if posted is not None:
            mismatches = {"mismatches": posted.mismatches, "mismatch_count": posted.mismatch_count}
        self.reports.append({"source": source, **outcome, **mismatches})

    def unreadable(self, source: str, reason: str) -> None:
        self.add(source, {"status": PostOutcome.UNREADABLE.value, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        """The flow's return value: counts first, then every report's outcome."""
        counts = Counter(str(r.get("status")) for r in self.reports)
        return {
            "flow": self.flow,
            "reports": len(self.reports),
            **{status: counts.get(status, 0) for status in STATUSES},
            "payments_created": sum(int(r.get("payments_created", 0)) for r in self.reports),
            "unmatched_rows": sum(int(r.get("unmatched_rows", 0)) for r in self.reports),
            "notes": list(self.notes),
            "errors": list(self.errors),
            "details": list(self.reports),
        }

    def markdown(self) -> str:
        """A markdown summary for the run's artifact."""
        data = self.to_dict()
        lines = [f"# {self.flow}", ""]
        lines += [
            f"- {name.replace('_', ' ')}: {data[name]}"
            for name in (*STATUSES, "payments_created", "unmatched_rows")
        ]
        lines += [f"- note: {note}" for note in self.notes]
        lines += [f"- **error**: {error}" for error in self.errors]
        lines += [_mismatches(report) for report in self.reports if report.get("mismatches")]
        if self.reports:
            lines += [
                "",
                "| source | settlement | status | rows | sum | payments | review |",
                "|---|---|---|---|---|---|---|",
            ]
            lines += [_row(report) for report in self.reports]
        return "\n".join(lines) + "\n"


def _mismatches(report: dict[str, Any]) -> str:
    """One line naming the orders whose income differs from their document's gross total."""
    found = report["mismatches"]
    count = int(report.get("mismatch_count", len(found)))
    shown = ", ".join(
        f"{m['document']} (booked {m['booked_minor']}, document {m['gross_minor']} minor units)"
        for m in found[:MISMATCHES_SHOWN]
    )
    more = f" and {count - MISMATCHES_SHOWN} more" if count > MISMATCHES_SHOWN else ""
    return (
        f"- settlement {report.get('settlement_id')}: {count} order(s) booked with another "
        f"amount than the document's gross total: {shown}{more}"
    )


def _row(report: dict[str, Any]) -> str:
    status = str(report.get("status"))
    if report.get("reason"):
        status += f": {report['reason']}"
    elif report.get("failed_expectations"):
        status += ": " + ", ".join(report["failed_expectations"])
    cells = (
        report["source"],
        report.get("settlement_id", ""),
        status,
        report.get("rows", ""),
        f"{report['sum_amount']} {report['currency']}" if "sum_amount" in report else "",
        report.get("payments_created", ""),
        report.get("unmatched_rows", ""),
    )
    return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

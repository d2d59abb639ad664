"""The states a settlement report travels through, as the strings stored and shown today.

`ReportStatus` is what the `settlement_reports.status` column holds; `PostOutcome` is what
importing one report did (a run's summary counts them) and `PostResult` the whole answer of a
post; `SourceKind` names where a report's bytes came from, the prefix of its source name
(`inbox:<file>`, `amazon-pay:<report id>`), and `ReportSource` is that name with the bytes' digest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.money import Money


class ReportStatus(StrEnum):
    """A stored report's status: received (checked, not yet posted), then posted or rejected."""

    RECEIVED = "received"
    POSTED = "posted"
    REJECTED = "rejected"


class PostOutcome(StrEnum):
    """What importing one report did; posting itself never answers UNREADABLE."""

    POSTED = "posted"
    ALREADY_POSTED = "already_posted"
    REJECTED = "rejected"
    UNREADABLE = "unreadable"

    @property
    def done(self) -> bool:
        """The report needs nothing more: posted now or earlier."""
        return self in (PostOutcome.POSTED, PostOutcome.ALREADY_POSTED)


class SourceKind(StrEnum):
    """Where a report came from: the inbox folder, the Reports API, a file named on the CLI."""

    INBOX = "inbox"
    AMAZON_PAY = "amazon-pay"
    FILE = "file"

    def source(self, reference: str) -> str:
        """The source name stored with the report, e.g. `inbox:report.xml`."""
        return f"{self.value}:{reference}"


@dataclass(frozen=True)
class ReportSource:
    """Where a report came from (`inbox:<file>`, `amazon-pay:<report id>`) and its digest."""

    name: str
    sha256: str | None = None

    @classmethod
    def of(cls, kind: SourceKind, reference: str, sha256: str | None = None) -> ReportSource:
        """The source `<kind>:<reference>`, e.g. the inbox file `inbox:report.xml`."""
        return cls(kind.source(reference), sha256)

    @classmethod
    def of_bytes(cls, name: str, data: bytes) -> ReportSource:
        """The named source with the SHA-256 of its bytes (tells a changed file apart)."""
        return cls(name, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class PostResult:
    """What posting a report did; the samples hold the first review rows and mismatches."""

    settlement_id: str
    status: PostOutcome
    payments_created: int = 0
    unmatched_rows: int = 0
    booked_rows: int = 0
    attempts: int = 0
    mismatches: list[dict[str, object]] = field(default_factory=list)  # the first few
    mismatch_count: int = 0
    review_sample: list[dict[str, Any]] = field(default_factory=list)
    same_content: bool | None = None  # already posted: was it the same file?

    def outcome(self) -> dict[str, Any]:
        """The post's part of a report's JSON outcome: status, payments, rows to review."""
        summary: dict[str, Any] = {
            "status": self.status.value,
            "payments_created": self.payments_created,
            "unmatched_rows": self.unmatched_rows,
        }
        if self.status is PostOutcome.ALREADY_POSTED and self.same_content is False:
            summary["note"] = "a different file with this settlement id was posted earlier"
        return summary

    def review_lines(self) -> list[dict[str, Any]]:
        """The review sample as table lines: the row's ids, its amount as money, the reason."""
        keep = ("source_line", "transaction_kind", "merchant_order_id", "transaction_id")
        return [
            {
                **{name: row.get(name) for name in keep},
                "amount": str(Money.from_minor(int(row["amount_minor"]), str(row["currency"]))),
                "reason": row.get("reason"),
            }
            for row in self.review_sample
        ]

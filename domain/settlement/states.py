"""The states a settlement report travels through, as the strings stored and shown today.

`ReportStatus` is what the `settlement_reports.status` column holds; `PostOutcome` is what
importing one report did (a run's summary counts them); `SourceKind` names where a report's
bytes came from, the prefix of its source name (`inbox:<file>`, `amazon-pay:<report id>`).
"""

from __future__ import annotations

from enum import StrEnum


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

"""What a use case returns: the document's status, and why when the request was refused."""

from __future__ import annotations

from dataclasses import dataclass

from domain.payment_status import Status


class Refused(ValueError):
    """A request the document cannot fulfil; the message says why, for the back office."""


@dataclass(frozen=True)
class Outcome:
    """The result of one use case on one document."""

    number: str
    status: Status | None  # None: the store holds no such document
    problem: str = ""  # empty when the request was carried out
    reason: str = ""  # why the document is in its status (Amazon's reason code, a timeout)
    charge_state: str | None = None  # the document's latest charge's state at Amazon
    refund_state: str | None = None  # a credit note's outcome: its refund's state at Amazon
    notes: tuple[str, ...] = ()  # what the run saw, for its log

    @property
    def refused(self) -> bool:
        return bool(self.problem)

    @property
    def failed(self) -> bool:
        """The work failed outright (a fault, not an answer): no status to report."""
        return bool(self.problem) and self.status is None

    def describe(self) -> str:
        """One line for logs, results and the command line."""
        if self.problem:
            return f"error: {self.problem}"
        return self.status.value if self.status else "unknown"

"""What a use case returns: the document's status, and why when the request was refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.payment_status import Status

if TYPE_CHECKING:
    from services.resources import Resources


class Refused(ValueError):
    """A request the document cannot fulfil; the message says why, for the back office."""


@dataclass(frozen=True)
class Outcome:
    """The result of one use case on one document."""

    number: str
    status: Status | None  # None: the store holds no such document
    problem: str = ""  # empty when the request was carried out

    @property
    def refused(self) -> bool:
        return bool(self.problem)

    def describe(self) -> str:
        """One line for logs, results and the command line."""
        if self.problem:
            return f"error: {self.problem}"
        return self.status.value if self.status else "unknown"


def outcome_of(
    res: Resources, number: str, step: Callable[[], Status], reported: str = ""
) -> Outcome:
    """Run a step; a refusal becomes the outcome's problem beside the status it reports on.

    Args:
        reported: the document whose status the outcome reports, when not `number` itself
            (a refund reports its order's).
    """
    try:
        return Outcome(number, step())
    except Refused as refused:
        with res.uow() as uow:
            document = uow.documents.get(reported or number)
        return Outcome(number, document.payment.status if document else None, str(refused))

"""Authorization: create the order's charge and learn Amazon's answer, bounded by the timeout."""

from __future__ import annotations

from domain.next_step import authorization_step, overdue_step, poll_step
from services.outcomes import Outcome
from services.resources import Resources
from services.steps import drive


def authorize(res: Resources, number: str) -> Outcome:
    """Create the charge for a pending (or re-authorizing) document, idempotently."""
    return drive(res, number, authorization_step)


def poll(res: Resources, number: str) -> Outcome:
    """Read the document's latest charge and apply what Amazon decided."""
    return drive(res, number, poll_step)


def mark_overdue(res: Resources, number: str) -> Outcome:
    """The wait ran out: a still pending document becomes authorization overdue."""
    return drive(res, number, overdue_step)

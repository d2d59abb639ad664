"""Refunds: a credit note from the returns function becomes a (partial) refund at Amazon.

One use case, one `drive`: the decisions (`domain.next_step.refund_step`) also refuse a note
above the ceiling once and book the note's own status (refused, refunded, declined).
"""

from __future__ import annotations

from functools import partial

from domain.next_step import refund_step
from services.outcomes import Outcome
from services.resources import Resources
from services.steps import drive


def refund(res: Resources, credit_note: str) -> Outcome:
    """Refund a credit note against its order's capture; the outcome carries the order's status.

    A note above the order's refund ceiling is refused, with the reason on the note and in its
    history, and refused again on every later run without calling Amazon.
    """
    return drive(res, credit_note, partial(refund_step, switches=res.switches))

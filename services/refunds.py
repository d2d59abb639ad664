"""Refunds: a credit note from the returns function becomes a (partial) refund at Amazon."""

from __future__ import annotations

from functools import partial

from domain.next_step import refund_step
from services.outcomes import Outcome
from services.resources import Resources
from services.steps import drive


def refund(res: Resources, credit_note: str) -> Outcome:
    """Refund a credit note against its order's capture; the outcome carries the order's status."""
    return drive(res, credit_note, partial(refund_step, switches=res.switches))

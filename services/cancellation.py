"""Cancellation: whole orders that are not activated; single items need Seller Central."""

from __future__ import annotations

from functools import partial

from domain.next_step import cancellation_step
from services.outcomes import Outcome
from services.resources import Resources
from services.steps import drive


def cancel(res: Resources, number: str, items: list[str] | None = None) -> Outcome:
    """Cancel a whole order that is not activated: cancel its charges, close its permission.

    The closing is recorded first, as the intent: a run that dies half-way is finished by the
    next run or sweep, which closes the permission and cancels the document.
    """
    return drive(res, number, partial(cancellation_step, switches=res.switches, items=items or []))

"""Activation (the shipment confirmation): capture the document's current gross total."""

from __future__ import annotations

from functools import partial

from domain.next_step import activation_step, renewal_step
from services.outcomes import Outcome
from services.resources import Resources
from services.steps import drive


def activate(res: Resources, number: str) -> Outcome:
    """Capture the document's current gross total; refused unless it is accepted."""
    return drive(res, number, partial(activation_step, switches=res.switches))


def reauthorize(res: Resources, number: str) -> Outcome:
    """Renew a lapsed authorization; a shipment requested before it lapsed is then captured."""
    return drive(res, number, partial(renewal_step, switches=res.switches))

"""Notifications (IPN): re-read the object a notification names and apply it, like a poll;
then resume the authorization run waiting on the document, if it is decided now."""

from __future__ import annotations

import logging
from functools import partial

from domain.next_step import reading_step
from services import authorization
from services.outcomes import Outcome
from services.resources import Resources
from services.steps import drive

log = logging.getLogger(__name__)


def reconcile_object(res: Resources, object_type: str, object_id: str) -> Outcome | None:
    """Apply the named object's state; None when no document owns it (yet) or it is no
    charge or refund: polling will find it."""
    kind = object_type.lower()
    if kind not in ("charge", "refund"):
        return None
    with res.uow() as uow:
        owner = uow.refs.owner_of(object_id)
    if owner is None:
        return None
    outcome = drive(res, owner.number, partial(reading_step, kind=kind, amazon_id=object_id))
    if res.runs is not None and kind == "charge":
        try:
            authorization.release(res, owner.number)
        except Exception:  # the answer is applied; the next sweep resumes the run
            log.exception("%s: the waiting run was not resumed", owner.number)
    return outcome

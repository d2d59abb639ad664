"""Notifications (IPN): re-read the object a notification names and apply it, like a poll."""

from __future__ import annotations

from services.outcomes import Outcome, outcome_of
from services.reconcile import reconcile_charge, reconcile_refund
from services.resources import Resources


def reconcile_object(res: Resources, object_type: str, object_id: str) -> Outcome | None:
    """Apply the named object's state; None when no document owns it (yet) or it is no
    charge or refund: polling will find it."""
    with res.uow() as uow:
        owner = uow.refs.owner_of(object_id)
    if owner is None:
        return None
    if object_type.upper() == "CHARGE":
        return outcome_of(res, owner.number, lambda: reconcile_charge(res, owner.number, object_id))
    if object_type.upper() == "REFUND":
        number = owner.refers_to or owner.number
        return outcome_of(res, owner.number, lambda: reconcile_refund(res, object_id), number)
    return None

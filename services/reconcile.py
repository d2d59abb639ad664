"""The one reconcile path: read Amazon's object and apply its state to its document.

Polls, the sweeper, notifications and manual actions all end here (as the `Read` step of
`services.steps`); each read is logged and applied in one transaction. The use cases finish a
document's open calls before they decide to read, so a read never overtakes an answer that was
never applied.
"""

from __future__ import annotations

from adapters.amazon_pay import Charge
from domain.payment_status import Status
from services import calls
from services.applying import apply_charge, apply_refund
from services.outcomes import Refused
from services.resources import Resources


def reconcile_charge(res: Resources, number: str, charge_id: str) -> Status:
    """Read a charge from Amazon and apply its state to the document."""
    charge: Charge = res.gateway.charge(charge_id)
    with res.uow() as uow:
        calls.log_read(uow, number, "get_charge", charge)
        status = apply_charge(uow, number, charge)
        uow.commit()
    return status


def reconcile_refund(res: Resources, refund_id: str) -> Status:
    """Read a refund and, once it shows Refunded, refund the order by its amount."""
    refund = res.gateway.refund(refund_id)
    with res.uow() as uow:
        owner = uow.refs.owner_of(refund_id)
        if owner is None:
            raise Refused(f"refund {refund_id} belongs to no document")
        calls.log_read(uow, owner.number, "get_refund", refund)
        status = apply_refund(uow, owner.number, refund)
        uow.commit()
    return status

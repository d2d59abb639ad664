"""The order processes, one document at a time, as plain functions (Prefect wraps them in tasks).

Every step ends in the same reconcile path: read Amazon's object, map its state to a payment
event (`domain.amazon_answers`), apply it to the document (`domain.payment_status`) and store
the object's state, the document's change and its history line in one transaction. Before a
step acts, it finishes the document's calls whose outcome was never applied (`heal`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from sqlalchemy import Engine

from adapters.amazon_pay import AmazonPayClient, Charge, Refund
from adapters.erp import amazon_log
from adapters.erp.store import UnitOfWork, UnknownDocument, make_engine
from adapters.settings import AmazonPaySettings, ModuleSettings
from domain.amazon_answers import Answer, charge_answer, refund_answer
from domain.documents import Document
from domain.money import Money
from domain.payment_status import Event, Status
from tasks import order_calls
from tasks.amazon_gateway import AmazonGateway
from tasks.order_calls import StepRefused

__all__ = ["OrderSteps", "StepRefused", "order_steps", "reset_order_steps"]

_shared: list[OrderSteps] = []
_shared_lock = threading.Lock()


def order_steps() -> OrderSteps:
    """The process-wide steps object, built once from the environment's settings.

    Built under a lock: chunk tasks start on several threads at once, and two clients would
    mean two token buckets, pacing the process at twice Amazon's quota.
    """
    with _shared_lock:
        if not _shared:
            settings = ModuleSettings()
            client = AmazonPayClient.from_settings(AmazonPaySettings())
            _shared.append(OrderSteps(make_engine(settings.database_url), client, settings))
        return _shared[0]


def reset_order_steps() -> None:
    """Forget the shared steps object; the next `order_steps()` reads the settings again."""
    with _shared_lock:
        _shared.clear()


@dataclass
class OrderSteps:
    """The module's order processes against one store and one Amazon client."""

    engine: Engine
    amazon: AmazonPayClient
    settings: ModuleSettings

    @property
    def gateway(self) -> AmazonGateway:
        """The call journal on this store and client (built anew: the client may be swapped)."""
        return AmazonGateway(self.engine, self.amazon)

    # --- reading and applying -------------------------------------------------------------

    def document(self, number: str) -> Document:
        with UnitOfWork(self.engine) as uow:
            found = uow.documents.get(number)
        if found is None:
            raise StepRefused(f"no document {number}")
        return found

    def status(self, number: str) -> Status:
        return self.document(number).payment.status

    def apply(
        self, number: str, event: Event, amount: Money | None = None, reason: str = ""
    ) -> Status:
        """Apply one event to the stored document in a transaction of its own."""
        with UnitOfWork(self.engine) as uow:
            status = self.apply_in(uow, number, Answer(event, amount, reason))
            uow.commit()
        return status

    def apply_in(
        self, uow: UnitOfWork, number: str, answer: Answer, record_refusal: bool = True
    ) -> Status:
        """Apply an answer to the document under a row lock, with its history line (no commit).

        Args:
            record_refusal: record an answer the table refuses (a late answer); False for a
                re-read of a state Amazon already had, which is no news.
        """
        document = uow.documents.get(number, lock=True)
        if document is None:
            raise StepRefused(f"no document {number}")
        if answer.event is None:
            return document.payment.status
        document.payment, transition = document.payment.apply(answer.event, answer.amount)
        if not transition.applied and not record_refusal:
            return document.payment.status
        if answer.reason and transition.applied:
            transition = replace(transition, reason=answer.reason)
        uow.documents.save_payment(number, document, transition)
        return document.payment.status

    def apply_charge_in(self, uow: UnitOfWork, number: str, charge: Charge) -> Status:
        """Store a charge's state and apply what it means to the document (no commit).

        A state that did not move is applied all the same when the document is behind it (a
        run died between the two); the transition table keeps that from acting twice.
        """
        moved = amazon_log.record_state(
            uow.session,
            uow.documents.id_of(number),
            "charge",
            charge.charge_id,
            charge.state,
            charge.charge_amount.to_minor(),
            charge.charge_amount.currency,
        )
        document = uow.documents.get(number, lock=True)
        assert document is not None
        answer = charge_answer(
            document.payment.status,
            charge.state,
            charge.status_details.reason_code,
            charge.capture_amount,
        )
        return self.apply_in(uow, number, answer, record_refusal=moved)

    def apply_refund_in(self, uow: UnitOfWork, note_number: str, refund: Refund) -> Status:
        """Store a refund's state on its credit note; what Amazon refunded reaches the order.

        The order's refunded amount is brought up to the sum of its Refunded refunds, so a
        refund that is Refunded in the store but not on the order (a run died) is applied too,
        and one that was applied is never applied again.
        """
        note = uow.documents.get(note_number)
        if note is None or not note.refers_to:
            raise StepRefused(f"credit note {note_number} refers to no order")
        moved = amazon_log.record_state(
            uow.session,
            uow.documents.id_of(note_number),
            "refund",
            refund.refund_id,
            refund.state,
            refund.refund_amount.to_minor(),
            refund.refund_amount.currency,
        )
        answer = refund_answer(
            refund.state, refund.status_details.reason_code, refund.refund_amount
        )
        order = uow.documents.get(note.refers_to, lock=True)
        assert order is not None
        behind = amazon_log.refunded_minor(uow.session, order.number)
        behind -= order.payment.refunded.to_minor()
        if answer.event is None or behind <= 0:
            return order.payment.status
        amount = Money.from_minor(behind, order.currency)
        return self.apply_in(uow, order.number, replace(answer, amount=amount), moved)

    @staticmethod
    def status_in(uow: UnitOfWork, number: str) -> Status:
        document = uow.documents.get(number)
        if document is None:
            raise StepRefused(f"no document {number}")
        return document.payment.status

    def document_id(self, number: str) -> int:
        with UnitOfWork(self.engine) as uow:
            try:
                return uow.documents.id_of(number)
            except UnknownDocument as missing:
                raise StepRefused(str(missing)) from None

    def charges(self, number: str) -> list[amazon_log.Ref]:
        with UnitOfWork(self.engine) as uow:
            return amazon_log.refs(uow.session, uow.documents.id_of(number), "charge")

    # --- reconcile: the one path ----------------------------------------------------------

    def heal(self, number: str) -> Status:
        """Finish the document's calls whose outcome was not applied; its status after that."""
        order_calls.heal(self, number)
        return self.status(number)

    def reconcile_charge(
        self, number: str, charge: Charge | None = None, charge_id: str = ""
    ) -> Status:
        """Read a charge from Amazon (unless given) and apply its state to the document."""
        read = charge is None
        if charge is None:
            charge = self.amazon.get_charge(charge_id)
        with UnitOfWork(self.engine) as uow:
            if read:
                self.gateway.log_read(uow, uow.documents.id_of(number), "get_charge", charge)
            status = self.apply_charge_in(uow, number, charge)
            uow.commit()
        return status

    def reconcile_latest_charge(self, number: str) -> Status:
        self.heal(number)
        charges = self.charges(number)
        if not charges:
            return self.status(number)
        return self.reconcile_charge(number, charge_id=charges[-1].amazon_id)

    def reconcile_refund(self, refund_id: str) -> Status:
        """Read a refund and, the first time it shows Refunded, refund the order by its amount."""
        refund = self.amazon.get_refund(refund_id)
        with UnitOfWork(self.engine) as uow:
            owner = amazon_log.owner_of(uow.session, refund_id)
            if owner is None:
                raise StepRefused(f"refund {refund_id} belongs to no document")
            self.gateway.log_read(uow, uow.documents.id_of(owner.number), "get_refund", refund)
            status = self.apply_refund_in(uow, owner.number, refund)
            uow.commit()
        return status

    def reconcile_object(self, object_type: str, object_id: str) -> Status | None:
        """What a notification triggers: re-read the named object and apply its state."""
        with UnitOfWork(self.engine) as uow:
            owner = amazon_log.owner_of(uow.session, object_id)
        if owner is None:
            return None
        if object_type.upper() == "CHARGE":
            return self.reconcile_charge(owner.number, charge_id=object_id)
        if object_type.upper() == "REFUND":
            return self.reconcile_refund(object_id)
        return None

    # --- authorization ----------------------------------------------------------------------

    def authorize(self, number: str) -> Status:
        """Create the charge for a pending (or re-authorizing) document, idempotently."""
        status = self.heal(number)
        if status not in (Status.PENDING, Status.REAUTHORIZATION):
            return status
        charges = self.charges(number)
        if (
            charges
            and charges[-1].state in ("AuthorizationInitiated", "Authorized")
            and status is Status.PENDING
        ):
            return self.reconcile_charge(number, charge_id=charges[-1].amazon_id)
        document = self.document(number)
        if not document.charge_permission_id:
            raise StepRefused(f"{number} has no charge permission to authorize")
        return order_calls.create_charge(self, document)

    def mark_overdue(self, number: str) -> Status:
        """The wait ran out: the document becomes authorization overdue (never accepted)."""
        if self.status(number) is not Status.PENDING:
            return self.status(number)
        return self.apply(
            number, Event.AUTHORIZATION_TIMED_OUT, reason="no answer within the timeout"
        )

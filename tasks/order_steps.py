"""The order processes, one document at a time, as plain functions (Prefect wraps them in tasks).

Every step ends in the same reconcile path: read Amazon's object, map its state to a payment
event (`domain.amazon_answers`), apply it to the document (`domain.payment_status`) and store
both in one transaction. A mutating call that fails with a state conflict re-reads and
reconciles instead of failing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from sqlalchemy import Engine, update

from adapters.amazon_pay import AmazonPayClient, Charge, Declined, Refund
from adapters.erp import amazon_log
from adapters.erp.schema import AmazonRefRow
from adapters.erp.store import UnitOfWork, make_engine
from adapters.settings import AmazonPaySettings, ModuleSettings
from domain.amazon_answers import Answer, charge_answer, refund_answer
from domain.documents import Document
from domain.money import Money
from domain.payment_status import Event, Status
from tasks.amazon_gateway import AmazonGateway

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


class StepRefused(ValueError):
    """A request the document cannot fulfil; the message says why, for the back office."""


@dataclass
class OrderSteps:
    """The module's order processes against one store and one Amazon client."""

    engine: Engine
    amazon: AmazonPayClient
    settings: ModuleSettings

    def __post_init__(self) -> None:
        self.gateway = AmazonGateway(self.engine)

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
        self,
        number: str,
        event: Event,
        amount: Money | None = None,
        reason: str = "",
        record_refusal: bool = True,
    ) -> Status:
        """Apply one event to the stored document under a row lock, with its history line.

        Args:
            record_refusal: record an answer the table refuses (a late answer); False for a
                re-read of a state Amazon already had, which is no news.
        """
        with UnitOfWork(self.engine) as uow:
            document = uow.documents.get(number, lock=True)
            if document is None:
                raise StepRefused(f"no document {number}")
            document.payment, transition = document.payment.apply(event, amount)
            if not transition.applied and not record_refusal:
                return document.payment.status
            if reason and transition.applied:
                transition = replace(transition, reason=reason)
            uow.documents.save_payment(number, document, transition)
            uow.commit()
        return document.payment.status

    def apply_answer(self, number: str, answer: Answer, news: bool = True) -> Status:
        if answer.event is None:
            return self.status(number)
        return self.apply(number, answer.event, answer.amount, answer.reason, record_refusal=news)

    def document_id(self, number: str) -> int:
        with UnitOfWork(self.engine) as uow:
            return amazon_log.document_id(uow.session, number)

    def charges(self, number: str) -> list[amazon_log.Ref]:
        with UnitOfWork(self.engine) as uow:
            return amazon_log.refs(
                uow.session, amazon_log.document_id(uow.session, number), "charge"
            )

    def save_charge(self, number: str, charge: Charge) -> bool:
        """Store the charge's state; True when it differs from what was stored (news)."""
        with UnitOfWork(self.engine) as uow:
            doc_id = amazon_log.document_id(uow.session, number)
            amazon_log.ensure_ref(uow.session, doc_id, "charge", charge.charge_id)
            moved = uow.session.execute(
                update(AmazonRefRow)
                .where(AmazonRefRow.amazon_id == charge.charge_id)
                .where((AmazonRefRow.state.is_(None)) | (AmazonRefRow.state != charge.state))
                .values(
                    state=charge.state,
                    amount_minor=charge.charge_amount.to_minor(),
                    currency=charge.charge_amount.currency,
                )
            )
            uow.commit()
        return moved.rowcount == 1  # type: ignore[attr-defined]

    def get_charge(self, number: str, charge_id: str) -> Charge:
        """Get Charge, through the audit log (its time paces the sweeper's backoff)."""
        return self.gateway.call(
            self.document_id(number),
            "get_charge",
            {"chargeId": charge_id},
            lambda: self.amazon.get_charge(charge_id),
        )

    # --- reconcile: the one path ----------------------------------------------------------

    def reconcile_charge(
        self, number: str, charge: Charge | None = None, charge_id: str = ""
    ) -> Status:
        """Read a charge from Amazon (unless given) and apply its state to the document."""
        if charge is None:
            charge = self.get_charge(number, charge_id)
        changed = self.save_charge(number, charge)
        status = self.status(number)
        if not changed and charge.state == "Captured":
            return status  # this capture was applied already
        answer = charge_answer(
            status, charge.state, charge.status_details.reason_code, charge.capture_amount
        )
        return self.apply_answer(number, answer, news=changed)

    def reconcile_latest_charge(self, number: str) -> Status:
        charges = self.charges(number)
        if not charges:
            return self.status(number)
        return self.reconcile_charge(number, charge_id=charges[-1].amazon_id)

    def reconcile_refund(self, refund_id: str, refund: Refund | None = None) -> Status:
        """Read a refund and, the first time it shows Refunded, refund the order by its amount."""
        if refund is None:
            refund = self.gateway.call(
                None,
                "get_refund",
                {"refundId": refund_id},
                lambda: self.amazon.get_refund(refund_id),
            )
        with UnitOfWork(self.engine) as uow:
            owner = amazon_log.owner_of(uow.session, refund_id)
            if owner is None:
                raise StepRefused(f"refund {refund_id} belongs to no document")
            credit_note, order_number = owner.number, owner.refers_to
            moved = uow.session.execute(
                update(AmazonRefRow)
                .where(AmazonRefRow.amazon_id == refund_id)
                .where((AmazonRefRow.state.is_(None)) | (AmazonRefRow.state != refund.state))
                .values(state=refund.state)
            )
            uow.commit()
        if order_number is None:
            raise StepRefused(f"credit note {credit_note} refers to no order")
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            return self.status(order_number)
        answer = refund_answer(
            refund.state, refund.status_details.reason_code, refund.refund_amount
        )
        return self.apply_answer(order_number, answer)

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
        document = self.document(number)
        status = document.payment.status
        if status not in (Status.PENDING, Status.REAUTHORIZATION):
            return status
        charges = self.charges(number)
        if (
            charges
            and charges[-1].state in ("AuthorizationInitiated", "Authorized")
            and status is Status.PENDING
        ):
            return self.reconcile_charge(number, charge_id=charges[-1].amazon_id)
        if not document.charge_permission_id:
            raise StepRefused(f"{number} has no charge permission to authorize")
        return self._create_charge(document)

    def _create_charge(self, document: Document) -> Status:
        doc_id = self.document_id(document.number)
        key = self.gateway.next_key(doc_id, document.number, "create_charge")
        amount = document.gross_total
        request = {"chargePermissionId": document.charge_permission_id, "amount": str(amount)}
        try:
            charge = self.gateway.call(
                doc_id,
                "create_charge",
                request,
                lambda: self.amazon.create_charge(
                    charge_permission_id=str(document.charge_permission_id),
                    charge_amount=amount,
                    idempotency_key=key,
                    can_handle_pending_authorization=True,
                ),
                key=key,
            )
        except Declined as declined:
            return self.apply(
                document.number, Event.DECLINED, reason=f"Amazon: {declined.reason_code}"
            )
        return self.reconcile_charge(document.number, charge)

    def mark_overdue(self, number: str) -> Status:
        """The wait ran out: the document becomes authorization overdue (never accepted)."""
        if self.status(number) is not Status.PENDING:
            return self.status(number)
        return self.apply(
            number, Event.AUTHORIZATION_TIMED_OUT, reason="no answer within the timeout"
        )

"""What the demo's summary reads from the ERP store, as plain data (no SQL in the CLI).

Amounts stay as minor units with their currency here; the caller turns them into Money.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from adapters.erp.schema import AmazonCallRow, AmazonRefRow, DocumentRow, PaymentRow, ReviewItemRow
from adapters.erp.store import UnitOfWork


@dataclass(frozen=True)
class OrderFacts:
    """One order document with its charge permission and the money moved so far."""

    number: str
    payment_status: str
    currency: str
    captured_minor: int
    refunded_minor: int
    charge_permission: str


@dataclass(frozen=True)
class StoreFacts:
    """The orders, how many calls of each Amazon operation were made, and how many refunds."""

    orders: list[OrderFacts]
    calls: dict[str, int]
    refunds: int


@dataclass(frozen=True)
class BookedFacts:
    """What settlement posting wrote: payments, the sum per account, the sum sent to review."""

    payments: int
    booked_minor: dict[str, int]
    review_minor: int


def store_facts(engine: Engine) -> StoreFacts:
    """The orders that have a charge permission, the Amazon call counts and the refund count."""
    orders = (
        select(
            DocumentRow.number,
            DocumentRow.payment_status,
            DocumentRow.currency,
            DocumentRow.captured_minor,
            DocumentRow.refunded_minor,
            AmazonRefRow.amazon_id,
        )
        .join(AmazonRefRow, AmazonRefRow.document_id == DocumentRow.id)
        .where(DocumentRow.doc_type == "order", AmazonRefRow.kind == "charge_permission")
        .order_by(DocumentRow.number)
    )
    calls = select(AmazonCallRow.operation, func.count()).group_by(AmazonCallRow.operation)
    refunds = select(func.count()).select_from(AmazonRefRow).where(AmazonRefRow.kind == "refund")
    with UnitOfWork(engine) as uow:
        session = uow.session
        return StoreFacts(
            orders=[OrderFacts(*row) for row in session.execute(orders)],
            calls={operation: count for operation, count in session.execute(calls)},
            refunds=session.scalar(refunds) or 0,
        )


def booked_facts(engine: Engine) -> BookedFacts:
    """How many payments settlement posting made, their sum per account, and the review sum."""
    per_account = select(PaymentRow.account, func.sum(PaymentRow.amount_minor)).group_by(
        PaymentRow.account
    )
    with UnitOfWork(engine) as uow:
        session = uow.session
        return BookedFacts(
            payments=session.scalar(select(func.count()).select_from(PaymentRow)) or 0,
            booked_minor={account: int(total) for account, total in session.execute(per_account)},
            review_minor=int(session.scalar(select(func.sum(ReviewItemRow.amount_minor))) or 0),
        )

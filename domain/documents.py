"""ERP documents paid with Amazon Pay: orders, invoices and credit notes with their items."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.money import Money, money_sum
from domain.payment_status import PaymentState


class DocumentType(StrEnum):
    ORDER = "order"
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True)
class Item:
    """One line of a document: an article times a quantity."""

    sku: str
    name: str
    quantity: int
    unit_price: Money

    def __post_init__(self) -> None:
        if not self.sku:
            raise ValueError("an item needs a sku")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise ValueError(f"quantity of {self.sku} must be a whole number")
        if self.quantity <= 0:
            raise ValueError(f"quantity of {self.sku} must be positive, got {self.quantity}")

    @property
    def total(self) -> Money:
        return self.unit_price.times(self.quantity)


@dataclass(frozen=True)
class Customer:
    name: str
    email: str


@dataclass
class Document:
    """An ERP document whose payment runs through Amazon Pay.

    Amazon-paid documents carry a dunning lock: the money comes from Amazon, so no payment
    reminder is ever sent for them.
    """

    number: str
    doc_type: DocumentType
    currency: str
    items: list[Item]
    shipping: Money
    customer: Customer
    charge_permission_id: str | None = None
    charge_id: str | None = None
    fee_article: Item | None = None
    refers_to: str | None = None  # a credit note's or invoice's order number
    payment: PaymentState = field(init=False)
    dunning_lock: bool = True

    def __post_init__(self) -> None:
        for item in self.all_items():
            if item.unit_price.currency != self.currency:
                raise ValueError(
                    f"item {item.sku} is in {item.unit_price.currency}, document in {self.currency}"
                )
        if self.shipping.currency != self.currency:
            raise ValueError(
                f"shipping is in {self.shipping.currency}, document in {self.currency}"
            )
        self.payment = PaymentState.new(self.currency)

    def all_items(self) -> list[Item]:
        """The article items plus the payment method's fee article, if any."""
        return self.items + ([self.fee_article] if self.fee_article else [])

    @property
    def gross_total(self) -> Money:
        """Items, the fee article and shipping: what the customer pays."""
        return money_sum([item.total for item in self.all_items()], self.currency) + self.shipping

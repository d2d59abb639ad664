"""The demo's scenario: orders in, flows run, the sandbox clock advanced between the phases."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from adapters.erp.store import UnitOfWork
from cli.demo import CARDS, admin
from domain.documents import Customer, Document, DocumentType, Item
from domain.money import Money
from domain.payment_status import Status
from flows import orders as order_flows
from flows.settlement import reconcile_settlements
from flows.sync import sync
from services import cancellation
from services.resources import Resources

PRICES = ("19.90", "34.50", "95.10", "120.00", "7.99")


def run_scenario(base_url: str, roles: dict[str, str], log: bool) -> tuple[Engine, dict[str, Any]]:
    """Push every order through its role's lifecycle; returns the store and the sandbox ledger."""
    res = Resources.from_environment()  # the demo's settings

    def say(text: str) -> None:
        if log:
            print(text, flush=True)

    def who(*wanted: str) -> list[str]:
        return [number for number, role in roles.items() if role in wanted]

    say(f"importing {len(roles)} orders")
    for index, (number, role) in enumerate(roles.items()):
        price = PRICES[index % len(PRICES)]
        _import_order(res.engine, base_url, number, price, CARDS.get(role))
    say("authorizing: the sweeper creates every charge; slow answers time out")
    sync()
    for number in who("slow"):
        order_flows.authorize(number)  # waits 2 s, then authorization_overdue
    admin(base_url, "POST", "/clock/advance", {"minutes": 1})
    _settle(res, who("slow", "declined"))  # late answers arrive as notifications
    sync()
    say("activating (shipment confirmation) and cancelling")
    order_flows.activate_batch(who("plain", "partial_refund", "full_refund", "slow"))
    for number in who("cancel"):
        order_flows.cancel(number)
    for number in who("item_cancel"):
        outcome = cancellation.cancel(res, number, items=["TASSE-WEISS"])
        say(f"  refused as it should be: {outcome.problem}")
    say("8 days later: captures become asynchronous")
    admin(base_url, "POST", "/clock/advance", {"days": 8})
    order_flows.activate_batch(who("late_capture"))  # CaptureInitiated
    admin(base_url, "POST", "/clock/advance", {"minutes": 1})
    sync()
    say("31 days after authorization: expired authorizations are renewed, then captured")
    admin(base_url, "POST", "/clock/advance", {"days": 23})
    order_flows.activate_batch(who("expired"))  # renews the lapsed authorization first
    say("returns: credit notes become refunds")
    _credit_notes(res.engine, who("partial_refund"), share=Decimal("0.3"))
    _credit_notes(res.engine, who("full_refund"), share=Decimal(1))
    sync()
    admin(base_url, "POST", "/clock/advance", {"minutes": 1})
    sync()
    say("settlement: Amazon closes the period; reconcile-settlements books the report")
    admin(base_url, "POST", "/clock/advance", {"days": 1})
    admin(base_url, "POST", "/settlements/close")
    reconcile_settlements()
    res.amazon.close()
    return res.engine, admin(base_url, "GET", "/ledger")


def _import_order(engine: Engine, base_url: str, number: str, price: str, card: str | None) -> None:
    total = Money(price, "EUR") + Money("4.90", "EUR")
    checkout: dict[str, Any] = {"amount": str(total.amount), "currencyCode": "EUR"}
    if card:
        checkout["paymentDescriptor"] = card
    permission = admin(base_url, "POST", "/checkouts", checkout)["chargePermissionId"]
    document = Document(
        number=number,
        doc_type=DocumentType.ORDER,
        currency="EUR",
        items=[Item("TASSE-WEISS", "Tasse weiß", 1, Money(price, "EUR"))],
        shipping=Money("4.90", "EUR"),
        customer=Customer("Demo Kunde", f"{number.lower()}@example.org"),
        charge_permission_id=permission,
    )
    with UnitOfWork(engine) as uow:
        uow.documents.add(document)
        uow.commit()


def _settle(res: Resources, numbers: list[str], seconds: float = 20) -> None:
    """Wait until Amazon's late answers (notifications) have decided these documents."""
    deadline = time.monotonic() + seconds
    waiting = {Status.PENDING, Status.AUTHORIZATION_OVERDUE}

    def undecided() -> bool:
        with UnitOfWork(res.engine) as uow:
            documents = [uow.documents.get(number) for number in numbers]
        return any(d is not None and d.payment.status in waiting for d in documents)

    while undecided() and time.monotonic() < deadline:
        time.sleep(0.2)


def _credit_notes(engine: Engine, orders: list[str], share: Decimal) -> None:
    with UnitOfWork(engine) as uow:
        for number in orders:
            order = uow.documents.get(number)
            assert order is not None
            amount = Money.rounded(order.gross_total.amount * share, order.currency)
            uow.documents.add(
                Document(
                    number=f"GS{number[2:]}",
                    doc_type=DocumentType.CREDIT_NOTE,
                    currency=order.currency,
                    items=[Item("RETOURE", "Retoure", 1, amount)],
                    shipping=Money.zero(order.currency),
                    customer=order.customer,
                    refers_to=number,
                )
            )
        uow.commit()

"""The demo's summary reads the store through a read model and converts by the currency."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from adapters.erp.demo_view import BookedFacts, booked_facts
from adapters.erp.schema import DocumentRow
from cli.demo_report import invariants, store_view
from tests.posting.builders import document, pay_by_hand, store_documents


def captured(engine, number: str, captured_minor: int, refunded_minor: int = 0) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(DocumentRow)
            .where(DocumentRow.number == number)
            .values(
                captured_minor=captured_minor,
                refunded_minor=refunded_minor,
                payment_status="activated",
            )
        )


def ledger_charge(permission: str, amount: str, currency: str) -> dict:
    return {
        "chargeId": f"{permission}-C1",
        "chargePermissionId": permission,
        "statusDetails": {"state": "Captured"},
        "captureAmount": {"amount": amount, "currencyCode": currency},
    }


def test_a_yen_order_is_shown_in_whole_yen_and_matches_the_ledger(engine):
    store_documents(
        engine,
        document("JP1", "2500", currency="JPY", charge_permission="P-JP1"),
        document("EU1", "25.00", charge_permission="P-EU1"),
    )
    captured(engine, "JP1", 2500, refunded_minor=500)
    captured(engine, "EU1", 2500)
    view = store_view(engine)
    by_number = {order["number"]: order for order in view["orders"]}
    assert (by_number["JP1"]["captured"], by_number["JP1"]["refunded"]) == (2500, 500)
    assert by_number["EU1"]["captured"] == Decimal("25.00")
    assert by_number["JP1"]["permission"] == "P-JP1" and by_number["JP1"]["status"] == "activated"
    ledger = {
        "charges": [ledger_charge("P-JP1", "2500", "JPY"), ledger_charge("P-EU1", "25.00", "EUR")],
        "refunds": [],
    }
    assert invariants({**view, "orders": [by_number["JP1"], by_number["EU1"]]}, ledger)[
        "captures_match_activations"
    ]


def test_booked_facts_count_payments_and_sum_them_per_account(engine):
    store_documents(engine, document("EU1", "25.00"))
    assert booked_facts(engine) == BookedFacts(payments=0, booked_minor={}, review_minor=0)
    pay_by_hand(engine, "EU1", 2500)
    assert booked_facts(engine) == BookedFacts(1, {"1200": 2500}, 0)

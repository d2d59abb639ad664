import json

from domain.intake import read_orders
from domain.money import Money
from tests.intake_orders import GOOD, line


def test_a_good_order_line_becomes_a_pending_document_with_its_gross_total():
    documents, errors = read_orders(line() + "\n")
    assert errors == []
    (document,) = documents
    assert document.gross_total == Money("24.80", "EUR")
    assert document.payment.status.value == "pending"
    assert document.dunning_lock is True


def test_item_codes_with_leading_zeros_stay_strings():
    items = [{"sku": "00042", "name": "x", "quantity": 1, "unit_price": "1.00"}]
    documents, _ = read_orders(line(items=items))
    assert documents[0].items[0].sku == "00042"


def test_one_bad_line_refuses_the_whole_file_naming_every_bad_line():
    text = "\n".join(
        [
            line(number="A1"),
            "{broken",
            line(number="A3", currency="XXX"),
            line(number="A4", shipping="4.905"),
            line(number="A1"),
            json.dumps({k: v for k, v in GOOD.items() if k != "customer"}),
            line(number="A7", shipping=4.9),
            line(number="A8", items=[{"sku": "A", "name": "A", "quantity": 0, "unit_price": "1"}]),
        ]
    )
    documents, errors = read_orders(text)
    assert documents == []
    reasons = {error.line: error.reason for error in errors}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8]
    assert "malformed JSON" in reasons[2]
    assert "unknown currency 'XXX'" in reasons[3]
    assert "shipping" in reasons[4] and "more than 2 decimals" in reasons[4]
    assert "duplicate number A1 (first on line 1)" in reasons[5]
    assert "missing field(s): customer" in reasons[6]
    assert "decimal strings" in reasons[7]
    assert "quantity must be a positive whole number" in reasons[8]


def test_jpy_amounts_take_no_decimals():
    _, errors = read_orders(line(currency="JPY", shipping="500.5"))
    assert "more than 0 decimals" in errors[0].reason


def test_negative_prices_and_unknown_fields_are_refused():
    _, errors = read_orders(line(shipping="-1.00") + "\n" + line(number="B", colour="red"))
    assert "must not be negative" in errors[0].reason
    assert "unknown field(s): colour" in errors[1].reason


def test_an_empty_file_is_refused():
    documents, errors = read_orders("\n\n")
    assert documents == [] and "no orders" in errors[0].reason

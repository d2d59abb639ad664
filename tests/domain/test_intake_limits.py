"""The intake refuses what the store cannot hold, naming the field, without a traceback."""

import pytest

from domain.intake import (
    MAX_MINOR_UNITS,
    MAX_QUANTITY,
    LineError,
    OrderLine,
    already_stored,
    read_order_lines,
    read_orders,
)
from tests.intake_orders import GOOD, line


def item(**changes) -> dict:
    return {**GOOD["items"][0], **changes}


def reason(text: str) -> str:
    documents, errors = read_orders(text)
    assert documents == []
    (error,) = errors
    return error.reason


@pytest.mark.parametrize(
    "amount", ["1e30", "1E+999999999", "92233720368547758.08", "-92233720368547758.08"]
)
def test_an_amount_beyond_bigint_minor_units_names_its_field(amount):
    assert reason(line(shipping=amount)).startswith("shipping: more than the store holds")


def test_the_largest_amount_the_store_holds_is_accepted():
    largest = str(MAX_MINOR_UNITS)
    (document,), _ = read_orders(
        line(currency="JPY", shipping="0", items=[item(unit_price=largest, quantity=1)])
    )
    assert document.gross_total.to_minor() == MAX_MINOR_UNITS


def test_line_and_document_totals_are_summed_exactly_in_minor_units():
    big = "92233720368547758.07"
    assert reason(line(items=[item(unit_price=big, quantity=MAX_QUANTITY)])).startswith(
        "items[0]: quantity times unit_price is more than the store holds"
    )
    two = [item(unit_price=big, quantity=1), item(unit_price="0.01", quantity=1)]
    assert reason(line(shipping="0", items=two)).startswith("total: more than the store holds")


@pytest.mark.parametrize("quantity", [str(MAX_QUANTITY + 1), "1" + "0" * 39, "1" + "0" * 5000])
def test_a_quantity_beyond_the_integer_column_names_its_field(quantity):
    text = line().replace('"quantity": 2', f'"quantity": {quantity}')
    assert reason(text) == "items[0].quantity: more than the store holds (at most 2147483647)"


def test_a_negative_quantity_with_thousands_of_digits_is_not_positive():
    text = line().replace('"quantity": 2', '"quantity": -1' + "0" * 5000)
    assert reason(text) == "items[0].quantity must be a positive whole number"


@pytest.mark.parametrize(
    ("changes", "field", "limit"),
    [
        ({"number": "N" * 65}, "number", 64),
        ({"charge_permission_id": "P" * 65}, "charge_permission_id", 64),
        ({"charge_id": "C" * 65}, "charge_id", 64),
        ({"customer": {"name": "ü" * 201, "email": "e@x.org"}}, "customer.name", 200),
        ({"customer": {"name": "n", "email": "e" * 201}}, "customer.email", 200),
        ({"items": [item(sku="S" * 65)]}, "items[0].sku", 64),
        ({"items": [item(), item(name="n" * 201)]}, "items[1].name", 200),
    ],
)
def test_text_longer_than_its_column_names_the_field(changes, field, limit):
    assert reason(line(**changes)) == f"{field}: {limit + 1} characters, the store holds {limit}"


def test_text_exactly_as_long_as_its_column_is_accepted():
    documents, errors = read_orders(line(number="N" * 64, items=[item(name="n" * 200)]))
    assert errors == [] and len(documents) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"number": "A\x00"}, "number"),
        ({"charge_permission_id": "\x00"}, "charge_permission_id"),
        ({"customer": {"name": "n", "email": "e\x00@x.org"}}, "customer.email"),
        ({"items": [item(sku="\x00X")]}, "items[0].sku"),
    ],
)
def test_nul_characters_are_refused_in_every_text(changes, field):
    assert reason(line(**changes)) == f"{field}: NUL characters are refused"


def test_a_lone_surrogate_is_refused_not_left_to_the_database():
    text = line().replace("Erika Mustermann", "Erika \\ud800")
    assert reason(text) == "customer.name: a lone surrogate is not text"


def test_an_order_totalling_zero_has_nothing_to_authorize():
    text = line(shipping="0", items=[item(unit_price="0.00")])
    assert reason(text) == "total: 0.00 EUR, nothing to authorize"


def test_an_amazon_id_may_appear_once_in_a_file():
    text = "\n".join(
        [
            line(number="A1", charge_id="C1"),
            line(number="A2"),
            line(number="A3", charge_permission_id="C1"),
            line(number="A4", charge_permission_id="P4", charge_id="P4"),
        ]
    )
    documents, errors = read_orders(text)
    assert documents == []
    assert [str(error) for error in errors] == [
        "line 2: duplicate charge_permission_id S01-1234567-1234567 (first on line 1)",
        "line 3: duplicate charge_permission_id C1 (first on line 1)",
        "line 4: charge_id: the same as charge_permission_id",
    ]


def test_numbers_and_amazon_ids_already_stored_are_line_errors():
    (first, second, third), _ = read_order_lines(
        [
            line(number="A1").encode(),
            line(number="A2", charge_permission_id="P2", charge_id="C2").encode(),
            b"",
            line(number="A4", charge_permission_id="P4").encode(),
        ]
    )
    assert [first.line, second.line, third.line] == [1, 2, 4]
    errors = already_stored([first, second, third], numbers={"A1"}, ids={"C2"})
    assert errors == [
        LineError(1, "number A1 is already in the store"),
        LineError(2, "charge_id C2 is already in the store"),
    ]
    assert isinstance(third, OrderLine)


def test_bytes_that_are_not_utf8_are_a_line_error():
    _, errors = read_order_lines([line(number="A1").encode(), b'{"number": "\xff"}'])
    assert [str(error) for error in errors] == [
        "line 2: not UTF-8 text: invalid start byte at byte 13"
    ]


def test_only_a_newline_ends_a_line_so_a_line_separator_stays_in_the_name():
    (document,), errors = read_orders(line(customer={"name": "A\u2028B", "email": "e"}))
    assert errors == [] and document.customer.name == "A\u2028B"


def test_deep_nesting_is_malformed_json_not_a_recursion_error():
    assert reason("[" * 100_000) == "malformed JSON: nested too deeply"


def test_an_error_prints_as_one_short_line_whatever_the_input():
    error = LineError(7, "unknown currency '" + "X\nY" * 1000 + "'")
    shown = str(error)
    assert "\n" not in shown and shown.startswith("line 7: unknown currency 'X\\nY")
    assert len(shown) <= len("line 7: ") + 300

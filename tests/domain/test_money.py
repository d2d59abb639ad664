from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import HALF_EVEN, HALF_UP, Money, MoneyError, minor_units, money_sum


def test_amounts_are_quantized_to_the_currency_minor_unit():
    assert Money("9.9", "EUR").amount == Decimal("9.90")
    assert Money("500", "JPY").amount == Decimal("500")
    assert minor_units("JPY") == 0 and minor_units("GBP") == 2


def test_floats_are_refused():
    with pytest.raises(MoneyError, match="float"):
        Money(9.95, "EUR")


def test_more_decimals_than_the_currency_allows_are_refused_without_explicit_rounding():
    with pytest.raises(MoneyError, match="more than 2 decimals"):
        Money("9.955", "EUR")
    with pytest.raises(MoneyError, match="more than 0 decimals"):
        Money("100.5", "JPY")


def test_trailing_zero_decimals_are_not_a_rounding():
    assert Money("9.9500", "EUR") == Money("9.95", "EUR")


def test_rounding_is_explicit_and_named():
    assert Money.rounded("0.125", "EUR", HALF_UP) == Money("0.13", "EUR")
    assert Money.rounded("0.125", "EUR", HALF_EVEN) == Money("0.12", "EUR")
    assert Money.rounded("100.5", "JPY", HALF_UP) == Money("101", "JPY")


def test_different_currencies_never_add():
    with pytest.raises(MoneyError, match="EUR with GBP"):
        Money("1", "EUR") + Money("1", "GBP")
    with pytest.raises(MoneyError):
        Money("1", "EUR") < Money("1", "USD")


def test_unknown_currency_is_refused():
    with pytest.raises(MoneyError, match="unknown currency"):
        Money("1", "XXX")


def test_money_sum_of_nothing_is_zero_in_that_currency():
    assert money_sum([], "EUR") == Money.zero("EUR")
    assert money_sum([Money("1.10", "EUR"), Money("2.20", "EUR")], "EUR") == Money("3.30", "EUR")


def test_minor_units_must_be_an_int():
    with pytest.raises(MoneyError):
        Money.from_minor("100", "EUR")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money.from_minor(True, "EUR")


@given(
    minor=st.integers(min_value=-(10**15), max_value=10**15),
    currency=st.sampled_from(["EUR", "JPY", "GBP"]),
)
def test_minor_units_round_trip_exactly(minor, currency):
    money = Money.from_minor(minor, currency)
    assert money.to_minor() == minor
    assert Money(str(money.amount), currency) == money


@given(
    a=st.integers(min_value=-(10**12), max_value=10**12),
    b=st.integers(min_value=-(10**12), max_value=10**12),
)
def test_addition_is_exact_in_minor_units(a, b):
    assert (Money.from_minor(a, "EUR") + Money.from_minor(b, "EUR")).to_minor() == a + b

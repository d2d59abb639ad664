"""Exact amount and date readers: properties over many inputs, not a few examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.settlement_formats.values import minor_column, parse_timestamp, timestamp_ns, to_minor
from domain.settlement.model import ReportError

cents = st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False)


@given(cents)
def test_two_decimal_amounts_become_exact_cents(value: Decimal):
    assert to_minor(str(value), 2, 1, "Amount") == int(value * 100)


@given(cents, st.integers(min_value=0, max_value=4))
def test_trailing_zeros_change_nothing(value: Decimal, zeros: int):
    text = f"{value:.2f}" + "0" * zeros
    assert to_minor(text, 2, 1, "Amount") == int(value * 100)


@given(st.text(max_size=30))
def test_any_text_is_an_amount_or_a_report_error(text: str):
    try:
        to_minor(text, 2, 7, "Amount")
    except ReportError as error:
        assert str(error).startswith("line 7: Amount: ")
        assert "\n" not in str(error)


def test_a_third_decimal_digit_is_refused_not_rounded():
    with pytest.raises(ReportError, match="has more than 2 decimals"):
        to_minor("0.005", 2, 1, "Amount")
    with pytest.raises(ReportError, match="has more than 0 decimals"):
        to_minor("100.50", 0, 1, "Amount")


def test_non_ascii_digits_and_underscores_are_not_amounts():
    for text in ("١٢.٣٤", "1_000.00", "1e3", "NaN", "Infinity", "--1", ".", ""):
        with pytest.raises(ReportError, match="expected a decimal amount"):
            to_minor(text, 2, 1, "Amount")


def test_a_column_converts_each_distinct_text_once_and_keeps_the_order():
    texts = ["1.00", "-0.72", "1.00", "742.76", "-0.72"]
    values = minor_column(texts, ["GBP"] * 5, [10, 11, 12, 13, 14], "amount")
    assert values.tolist() == [100, -72, 100, 74276, -72]


def test_a_bad_value_in_a_column_names_its_first_line():
    with pytest.raises(ReportError, match="^line 12: amount: expected a decimal amount"):
        minor_column(["1.00", "2.00", "x", "x"], ["EUR"] * 4, [10, 11, 12, 13], "amount")


def test_columns_with_two_currencies_use_each_ones_minor_unit():
    values = minor_column(["100", "1.50"], ["JPY", "EUR"], [1, 2], "amount")
    assert values.tolist() == [100, 150]


@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.timezones()
    )
)
def test_timestamps_are_the_same_instant_in_utc_nanoseconds(moment: datetime):
    text = moment.isoformat()
    expected = moment.astimezone(UTC)
    assert parse_timestamp(text, 1, "PostedDate") == expected
    since_epoch = expected - datetime(1970, 1, 1, tzinfo=UTC)
    assert timestamp_ns(text, 1, "PostedDate") == since_epoch // timedelta(microseconds=1) * 1000


def test_amazon_pay_dates_with_a_space_before_the_offset_are_read():
    assert parse_timestamp("2015-10-01T11:10:34 -0700", 1, "d") == datetime(
        2015, 10, 1, 18, 10, 34, tzinfo=UTC
    )

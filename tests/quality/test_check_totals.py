"""The sum of a report's amounts must equal its stated total exactly, in minor units."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from adapters.quality.runner import check_report
from domain.money import Money
from domain.settlement.model import ParsedReport, empty_frame
from tests.quality.checks import outcome
from tests.quality.frames import frame_of, order_rows, xml_report


@pytest.fixture
def clean() -> pd.DataFrame:
    return frame_of(order_rows(3))


@pytest.mark.parametrize("off_by", [1, -1])
def test_stated_total_one_cent_off_fails_the_sum_check(clean, off_by):
    total = int(clean["amount_minor"].sum())
    result = check_report(xml_report(clean, total_minor=total + off_by))
    assert result.failed_expectations == ["sum_equals_stated_total"]
    sum_check = outcome(result, "sum_equals_stated_total")
    assert sum_check.observed == "1415 (14.15 GBP)"
    assert sum_check.expected == f"{1415 + off_by} ({Money.from_minor(1415 + off_by, 'GBP')})"


def test_sum_is_exact_beyond_float_precision(clean):
    # 2**53 + 1 is the first integer a float cannot hold: a float sum would call these equal.
    clean.loc[0, "amount_minor"] = 2**53 - 1415 + clean.loc[0, "amount_minor"] + 1
    total = int(clean["amount_minor"].sum())
    assert total == 2**53 + 1
    assert check_report(xml_report(clean, total_minor=total)).valid
    result = check_report(xml_report(clean, total_minor=total - 1))
    assert result.failed_expectations == ["sum_equals_stated_total"]


def test_jpy_amounts_read_as_cents_no_longer_add_up_to_the_stated_total():
    # The excess-decimals rule lives in the parser; after it, a wrong scale shows up here.
    frame = frame_of(order_rows(2, currency="JPY"))
    yen = int(frame["amount_minor"].sum())
    report = xml_report(frame, total_minor=yen, currency="JPY")
    assert report.header.stated_total == Money(str(yen), "JPY")
    assert check_report(report).valid
    scaled = frame.assign(amount_minor=frame["amount_minor"] * 100)
    result = check_report(xml_report(scaled, total_minor=yen, currency="JPY"))
    assert result.failed_expectations == ["sum_equals_stated_total"]


def test_stated_total_in_another_currency_fails_without_converting(clean):
    report = xml_report(clean)
    header = report.header
    odd = ParsedReport(header=replace(header, stated_total=Money("14.15", "EUR")), frame=clean)
    result = check_report(odd)
    assert result.failed_expectations == ["sum_equals_stated_total"]
    assert "currency" in (outcome(result, "sum_equals_stated_total").error or "")


def test_empty_report_sums_to_zero():
    assert check_report(xml_report(empty_frame(), total_minor=0)).valid
    result = check_report(xml_report(empty_frame(), total_minor=5))
    assert result.failed_expectations == ["sum_equals_stated_total"]


def test_report_without_stated_total_runs_no_sum_check(clean):
    report = xml_report(clean)
    header = replace(report.header, stated_total=None)
    result = check_report(ParsedReport(header=header, frame=clean))
    assert result.valid
    assert "sum_equals_stated_total" not in [o.name for o in result.results]

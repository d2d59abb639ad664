"""Amazon Pay CSV lines must add up: total fee = percentage + fixed; net = amount + total fee."""

from __future__ import annotations

from dataclasses import replace

from adapters.quality.runner import check_report
from tests.quality.checks import offending_lines, outcome
from tests.quality.frames import csv_report

# The two real lines of the samples: 10.00 -0.29 -0.30 -0.59 9.41 and 5.00 -0.11 -0.30 -0.41 4.59.
CAPTURE_2015 = (1000, -29, -30, -59, 941)
CAPTURE_2018 = (500, -11, -30, -41, 459)
TRANSFER = (-2554, 0, 0, 0, -2554)

CSV_CHECKS_AFTER_ROWS = [
    "fee_columns_present",
    "fee_total_is_percentage_plus_fixed",
    "net_is_amount_plus_fee",
]


def test_clean_csv_report_meets_row_and_fee_expectations_but_has_no_total_to_sum():
    result = check_report(csv_report([TRANSFER, CAPTURE_2015, CAPTURE_2018]))
    assert result.valid, result.message()
    names = [o.name for o in result.results]
    assert names[-3:] == CSV_CHECKS_AFTER_ROWS
    assert "sum_equals_stated_total" not in names


def test_total_fee_one_cent_off_fails_naming_the_csv_line():
    bad = (1000, -29, -30, -60, 940)  # net still equals amount + (wrong) total fee
    result = check_report(csv_report([CAPTURE_2015, bad, CAPTURE_2018]))
    assert result.failed_expectations == ["fee_total_is_percentage_plus_fixed"]
    assert offending_lines(result, "fee_total_is_percentage_plus_fixed") == [8]
    (row,) = outcome(result, "fee_total_is_percentage_plus_fixed").offending_rows
    assert row["transaction_id"] == "P01-1488694-1234567-C000001"
    assert row["value"] == {
        "percentage_fee_minor": -29,
        "fixed_fee_minor": -30,
        "total_fee_minor": -60,
    }


def test_net_one_cent_off_fails_naming_the_csv_line():
    bad = (500, -11, -30, -41, 460)
    result = check_report(csv_report([CAPTURE_2015, TRANSFER, bad]))
    assert result.failed_expectations == ["net_is_amount_plus_fee"]
    assert offending_lines(result, "net_is_amount_plus_fee") == [9]
    (row,) = outcome(result, "net_is_amount_plus_fee").offending_rows
    assert row["value"] == {"amount_minor": 500, "total_fee_minor": -41, "net_minor": 460}


def test_csv_report_without_its_transaction_lines_is_rejected():
    report = replace(csv_report([CAPTURE_2015]), transactions=None)
    result = check_report(report)
    assert result.failed_expectations == ["fee_columns_present"]
    assert outcome(result, "fee_columns_present").observed == "no transaction lines"


def test_transaction_lines_missing_a_fee_column_fail_without_raising():
    report = csv_report([CAPTURE_2015])
    assert report.transactions is not None
    lines = report.transactions.drop(columns=["net_minor"])
    result = check_report(replace(report, transactions=lines))
    assert result.failed_expectations == ["fee_columns_present", "net_is_amount_plus_fee"]
    assert outcome(result, "fee_columns_present").observed == "missing: net_minor"
    assert outcome(result, "net_is_amount_plus_fee").error


def test_fee_columns_as_text_fail_without_raising():
    report = csv_report([CAPTURE_2015])
    assert report.transactions is not None
    lines = report.transactions.astype({"total_fee_minor": "string", "net_minor": "string"})
    result = check_report(replace(report, transactions=lines))
    assert result.failed_expectations == [
        "fee_total_is_percentage_plus_fixed",
        "net_is_amount_plus_fee",
    ]

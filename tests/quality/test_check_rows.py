"""Each row expectation of settlement_report_v1 fails on exactly its defect and names the rows."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from adapters.quality.runner import check_report
from adapters.quality.suite import DEFAULT_POSTED_AT_TOLERANCE, SUITE_ID, SUITE_VERSION
from tests.quality.checks import offending_lines, outcome
from tests.quality.frames import END, START, frame_of, order_rows, xml_report

XML_CHECKS = [
    "columns_match_frame",
    "settlement_id_not_null",
    "transaction_kind_not_null",
    "currency_not_null",
    "amount_minor_not_null",
    "posted_at_not_null",
    "source_line_not_null",
    "settlement_id_is_header_settlement",
    "amount_minor_is_int64",
    "transaction_kind_is_known",
    "currency_is_header_currency",
    "rows_are_unique",
    "posted_at_within_period",
    "order_rows_have_amazon_order_id",
    "sum_equals_stated_total",
]


@pytest.fixture
def clean() -> pd.DataFrame:
    return frame_of(order_rows(3))


def test_clean_xml_frame_meets_every_expectation_of_the_versioned_suite(clean):
    result = check_report(xml_report(clean))
    assert result.valid, result.message()
    assert (result.suite_name, result.suite_version) == (SUITE_ID, SUITE_VERSION)
    assert SUITE_ID == "settlement_report_v1"
    assert [o.name for o in result.results] == XML_CHECKS
    assert result.failed_expectations == []


# name of the broken expectation, cell to break (row position, column, value)
SINGLE_CELL_DEFECTS = [
    ("settlement_id_not_null", 2, "settlement_id", None),
    ("transaction_kind_not_null", 5, "transaction_kind", None),
    ("currency_not_null", 1, "currency", None),
    ("posted_at_not_null", 7, "posted_at", None),
    ("settlement_id_is_header_settlement", 3, "settlement_id", "6166306753"),
    ("order_rows_have_amazon_order_id", 4, "amazon_order_id", None),
    ("transaction_kind_is_known", 6, "transaction_kind", "payout"),
    ("currency_is_header_currency", 2, "currency", "USD"),
]


@pytest.mark.parametrize(("name", "position", "column", "value"), SINGLE_CELL_DEFECTS)
def test_one_bad_cell_fails_exactly_its_expectation_and_names_the_source_line(
    clean, name, position, column, value
):
    clean.loc[position, column] = value
    result = check_report(xml_report(clean))
    assert result.failed_expectations == [name], result.message()
    assert offending_lines(result, name) == [clean.loc[position, "source_line"]]
    assert outcome(result, name).unexpected_count == 1


def test_offending_row_shows_the_bad_value_and_the_row_ids(clean):
    clean.loc[2, "currency"] = "USD"
    result = check_report(xml_report(clean))
    (row,) = outcome(result, "currency_is_header_currency").offending_rows
    assert row == {
        "row": 2,
        "source_line": 28,
        "transaction_id": "D3BkSVR00",
        "merchant_order_id": "026-7335216-7992369",
        "value": "USD",
    }


def test_row_without_source_line_is_named_by_position_and_transaction_id(clean):
    clean.loc[9, "source_line"] = pd.NA
    result = check_report(xml_report(clean))
    assert result.failed_expectations == ["source_line_not_null"]
    (row,) = outcome(result, "source_line_not_null").offending_rows
    assert (row["row"], row["source_line"], row["transaction_id"]) == (9, None, "D3BkSVR02")


def test_other_transaction_without_any_order_id_is_fine_but_a_refund_without_one_is_not(clean):
    other = clean.index[clean["transaction_kind"] == "other"][0]
    assert pd.isna(clean.loc[other, "amazon_order_id"])
    assert check_report(xml_report(clean)).valid
    clean.loc[other, "transaction_kind"] = "refund"
    result = check_report(xml_report(clean))
    assert result.failed_expectations == ["order_rows_have_amazon_order_id"]
    assert offending_lines(result, "order_rows_have_amazon_order_id") == [6362]


def test_order_without_merchant_order_id_passes_like_the_real_mfn_order(clean):
    clean.loc[0:3, "merchant_order_id"] = None
    assert check_report(xml_report(clean)).valid


def test_missing_column_fails_the_column_set_and_says_which(clean):
    result = check_report(xml_report(clean.drop(columns=["sku"])))
    assert result.failed_expectations == ["columns_match_frame"]
    assert outcome(result, "columns_match_frame").observed == "missing: sku"


def test_extra_column_fails_the_column_set(clean):
    result = check_report(xml_report(clean.assign(note="x")))
    assert result.failed_expectations == ["columns_match_frame"]
    assert outcome(result, "columns_match_frame").observed == "unexpected: note"


def test_float_amounts_fail_the_integer_check_and_never_count_as_an_exact_sum(clean):
    floats = clean.assign(amount_minor=clean["amount_minor"].astype("float64"))
    result = check_report(xml_report(floats, total_minor=int(clean["amount_minor"].sum())))
    assert result.failed_expectations == ["amount_minor_is_int64", "sum_equals_stated_total"]
    assert outcome(result, "amount_minor_is_int64").observed == "float64"
    assert outcome(result, "sum_equals_stated_total").observed == "1415.0"


def test_missing_amount_fails_not_null_and_names_its_line(clean):
    total = int(clean["amount_minor"].drop(index=3).sum())
    clean["amount_minor"] = clean["amount_minor"].astype("Int64")  # GX counts Int64 as int64
    clean.loc[3, "amount_minor"] = pd.NA
    result = check_report(xml_report(clean, total_minor=total))
    assert result.failed_expectations == ["amount_minor_not_null"]
    assert offending_lines(result, "amount_minor_not_null") == [32]


def test_duplicate_amount_row_fails_uniqueness_naming_both_lines(clean):
    copy = clean.iloc[[1]].assign(source_line=pd.array([999], dtype="Int64"))
    doubled = pd.concat([clean, copy], ignore_index=True)
    result = check_report(xml_report(doubled))
    assert result.failed_expectations == ["rows_are_unique"]
    assert offending_lines(result, "rows_are_unique") == [24, 999]
    value = outcome(result, "rows_are_unique").offending_rows[0]["value"]
    assert value["amount_type"] == "FBAPerUnitFulfillmentFee"


def test_rows_differing_only_in_missing_ids_count_as_duplicates(clean):
    other = clean[clean["transaction_kind"] == "other"]
    second = other.assign(source_line=pd.array([6367], dtype="Int64"))
    result = check_report(xml_report(pd.concat([clean, second], ignore_index=True)))
    assert result.failed_expectations == ["rows_are_unique"]
    assert offending_lines(result, "rows_are_unique") == [6362, 6367]


def test_same_amount_type_on_two_items_is_not_a_duplicate(clean):
    clean.loc[4:7, "transaction_id"] = "D3BkSVR00"
    clean.loc[4:7, "merchant_order_id"] = "026-7335216-7992369"
    assert check_report(xml_report(clean)).valid  # item_id still differs


@pytest.mark.parametrize(
    ("posted_at", "ok"),
    [
        (START - DEFAULT_POSTED_AT_TOLERANCE, True),
        (END + DEFAULT_POSTED_AT_TOLERANCE, True),
        (START - DEFAULT_POSTED_AT_TOLERANCE - timedelta(seconds=1), False),
        (END + DEFAULT_POSTED_AT_TOLERANCE + timedelta(seconds=1), False),
    ],
)
def test_posted_at_bounds_are_the_period_widened_by_the_tolerance_inclusive(clean, posted_at, ok):
    clean.loc[5, "posted_at"] = posted_at
    result = check_report(xml_report(clean))
    assert result.valid is ok, result.message()
    if not ok:
        assert result.failed_expectations == ["posted_at_within_period"]
        (row,) = outcome(result, "posted_at_within_period").offending_rows
        assert (row["source_line"], row["value"]) == (64, posted_at.isoformat())


def test_strict_tolerance_rejects_a_row_one_second_before_the_period(clean):
    clean.loc[0, "posted_at"] = START
    assert check_report(xml_report(clean), posted_at_tolerance=timedelta(0)).valid
    clean.loc[0, "posted_at"] = START - timedelta(seconds=1)
    result = check_report(xml_report(clean), posted_at_tolerance=timedelta(0))
    assert result.failed_expectations == ["posted_at_within_period"]
    assert outcome(result, "posted_at_within_period").expected == (
        "2011-10-21T04:17:15+00:00 .. 2011-11-04T04:13:55+00:00"
    )


def test_many_bad_rows_are_all_counted_but_only_the_first_hundred_listed():
    frame = frame_of(order_rows(40))
    frame["currency"] = "EUR"
    result = check_report(xml_report(frame))
    bad = outcome(result, "currency_is_header_currency")
    assert bad.unexpected_count == len(frame) == 161
    assert len(bad.offending_rows) == 100
    assert offending_lines(result, "currency_is_header_currency")[:2] == [20, 24]

"""A check result is plain JSON data, fit for a table artifact, and bad data never raises."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest

from adapters.quality.engine import validation_engine
from adapters.quality.runner import check_report
from domain.settlement.model import ParsedReport
from tests.quality.frames import frame_of, order_rows, xml_report


def _broken_report() -> ParsedReport:
    frame = frame_of(order_rows(3))
    frame.loc[2, "currency"] = "USD"
    frame.loc[5, "posted_at"] = pd.Timestamp("2012-01-01T00:00:00Z")
    frame.loc[9, "source_line"] = pd.NA
    return xml_report(frame, total_minor=int(frame["amount_minor"].sum()) + 1)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_result_json_round_trips_and_holds_only_plain_types():
    stored = check_report(_broken_report()).to_json()
    assert json.loads(json.dumps(stored)) == stored
    assert {type(leaf) for leaf in _leaves(stored)} <= {str, int, bool, type(None)}


def test_offending_timestamps_are_iso_strings_and_money_stays_integer():
    stored = check_report(_broken_report()).to_json()
    by_name = {r["name"]: r for r in stored["results"]}
    (late,) = by_name["posted_at_within_period"]["offending_rows"]
    assert late["value"] == "2012-01-01T00:00:00+00:00"
    assert late["row"] == 5 and late["source_line"] == 64
    assert stored["failed_expectations"] == [  # in suite order
        "source_line_not_null",
        "currency_is_header_currency",
        "posted_at_within_period",
        "sum_equals_stated_total",
    ]


def test_table_rows_list_failures_first_with_their_source_lines():
    table = check_report(_broken_report()).to_table()
    assert json.dumps(table)
    failed = [row for row in table if not row["success"]]
    assert table[: len(failed)] == failed
    assert len(failed) == 4
    currency = next(row for row in table if row["expectation"] == "currency_is_header_currency")
    assert currency["source_lines"] == "28"
    assert currency["unexpected_count"] == 1
    assert set(table[0]) == {
        "expectation",
        "success",
        "observed",
        "expected",
        "unexpected_count",
        "source_lines",
        "error",
    }


def test_message_is_one_line_naming_each_failed_expectation():
    message = check_report(_broken_report()).message()
    assert "\n" not in message
    assert "currency_is_header_currency: 1 of 13 rows, expected GBP on every row" in message
    assert "at source lines 28" in message


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame(),
        pd.DataFrame({"amount_minor": ["1.5", "x"], "posted_at": ["yesterday", None]}),
        frame_of(order_rows(2)).astype(str),
        frame_of(order_rows(2)).astype(object),
    ],
    ids=["no-columns", "garbage", "all-text", "all-object"],
)
def test_malformed_frames_come_back_as_failures_not_exceptions(frame):
    report = replace(xml_report(frame_of(order_rows(1))), frame=frame)
    result = check_report(report)
    assert not result.valid
    assert result.failed_expectations
    assert json.dumps(result.to_json())


def test_columns_missing_entirely_say_the_expectation_could_not_run():
    report = replace(xml_report(frame_of(order_rows(1))), frame=pd.DataFrame())
    result = check_report(report)
    currency = next(o for o in result.results if o.name == "currency_is_header_currency")
    assert not currency.success
    assert currency.observed == "not evaluated"
    assert currency.error and "currency" in currency.error


def test_something_other_than_a_parsed_report_is_a_programming_error():
    with pytest.raises(TypeError, match="ParsedReport"):
        check_report(frame_of(order_rows(1)))


def test_context_and_suite_are_built_once_per_process():
    assert validation_engine() is validation_engine()


def test_checking_leaves_the_parsed_frame_untouched():
    report = xml_report(frame_of(order_rows(2)))
    before = report.frame.copy()
    check_report(report)
    pd.testing.assert_frame_equal(report.frame, before)


def test_reports_checked_on_parallel_threads_keep_their_own_verdicts():
    good = xml_report(frame_of(order_rows(2)))
    bad = _broken_report()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(check_report, [good, bad] * 4))
    assert [r.valid for r in results] == [True, False] * 4
    assert all(r.failed_expectations == results[1].failed_expectations for r in results[1::2])

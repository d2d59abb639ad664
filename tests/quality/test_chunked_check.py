"""Checking a report chunk by chunk gives exactly the whole-frame verdict and offending rows."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from adapters.quality import unique_hashes
from adapters.quality.chunked import check_report_chunks
from adapters.quality.result import CheckResult
from adapters.quality.runner import MAX_OFFENDING_ROWS, check_report
from adapters.settlement_formats.parse import iter_report, parse_report
from sandbox.settlement_xml import write_settlement_xml
from tests.settlement.builders import envelope, item, order
from tests.settlement.test_csv_report import row, settlement_csv


def verdict(result: CheckResult) -> dict[str, Any]:
    """Everything a check returns except how long it took."""
    data = result.to_json()
    data.pop("elapsed_ms")
    return data


def assert_same_verdict_in_chunks(data: bytes, chunk_rows: int) -> CheckResult:
    """The whole-frame verdict, from chunks checked in one pass and with the 8-byte hashes
    (which read the report a second time only to confirm repeated hashes)."""
    whole = check_report(parse_report(data))
    chunks = list(iter_report(data, chunk_rows=chunk_rows))
    assert len(chunks) > 2, "the report must span several chunks"
    chunked = check_report_chunks(iter(chunks))
    assert verdict(chunked) == verdict(whole)
    hashed = check_report_chunks(
        iter(chunks), reread=lambda: iter_report(data, chunk_rows=chunk_rows)
    )
    assert verdict(hashed) == verdict(whole)
    return chunked


def orders(count: int, *, defects: dict[int, dict[str, str]] | None = None) -> list[str]:
    """`count` orders of two money rows each (Principal 10.00, Commission -1.00)."""
    defects = defects or {}
    result = []
    for n in range(count):
        changed = defects.get(n, {})
        text = order(
            amazon_order_id=f"302-{n:07d}-1234567",
            merchant_order_id=f"RE-{n}",
            items=item(code=f"{n:014d}", sku=f"SKU-{n}", principal="10.00", commission="-1.00"),
        )
        for old, new in changed.items():
            text = text.replace(old, new)
        result.append(text)
    return result


def report(transactions: list[str], total: Decimal | None = None) -> bytes:
    stated = Decimal("9.00") * len(transactions) if total is None else total
    return envelope(*transactions, total=f"{stated:.2f}").encode()


def failed(result: CheckResult) -> list[str]:
    return result.failed_expectations


@pytest.mark.parametrize("chunk_rows", [16, 64])
def test_a_clean_generated_report_is_valid_in_chunks_as_on_the_whole(chunk_rows):
    stream = io.BytesIO()
    write_settlement_xml(stream, orders=80, seed=11, newer_kinds=True, refunds_share=0.2)
    result = assert_same_verdict_in_chunks(stream.getvalue(), chunk_rows)
    assert result.valid, result.message()


@pytest.mark.parametrize("chunk_rows", [2, 3, 7])
def test_duplicates_in_different_chunks_are_found_with_every_member(chunk_rows):
    transactions = orders(20)
    transactions += [transactions[0], transactions[11]]  # the first and a middle order, again
    result = assert_same_verdict_in_chunks(report(transactions), chunk_rows)
    assert failed(result) == ["rows_are_unique"]
    unique = result.results[[o.name for o in result.results].index("rows_are_unique")]
    assert [r["row"] for r in unique.offending_rows] == [0, 1, 22, 23, 40, 41, 42, 43]


def test_more_duplicates_than_are_listed_keep_the_first_rows_and_the_exact_count():
    transactions = orders(150)
    transactions += transactions[::-1]  # every order again, the last first
    result = assert_same_verdict_in_chunks(report(transactions), 50)
    unique = result.results[[o.name for o in result.results].index("rows_are_unique")]
    assert unique.unexpected_count == 600
    assert [r["row"] for r in unique.offending_rows] == list(range(MAX_OFFENDING_ROWS))


@pytest.mark.parametrize("off_by", [Decimal("0.01"), Decimal("-0.01")])
def test_a_total_off_by_one_minor_unit_fails_in_chunks_as_on_the_whole(off_by):
    transactions = orders(30)
    data = report(transactions, Decimal("9.00") * 30 + off_by)
    result = assert_same_verdict_in_chunks(data, 4)
    assert failed(result) == ["sum_equals_stated_total"]


def test_a_total_that_matches_only_over_all_chunks_passes():
    data = report(orders(30))
    result = assert_same_verdict_in_chunks(data, 2)
    assert result.valid


def test_failures_on_both_sides_of_chunk_borders_are_named_with_their_report_rows():
    # chunk_rows=4: orders 0-1 | 2-3 | 4-5 ...; break the last row of one chunk and the first of
    # the next (USD commission of order 3, USD principal of order 4), and the posted date of
    # the orders on both sides of the next border
    defects = {
        3: {'<Amount currency="EUR">-1.00': '<Amount currency="USD">-1.00'},
        4: {'<Amount currency="EUR">10.00': '<Amount currency="USD">10.00'},
        7: {"2024-03-02T08:18:20": "2023-03-02T08:18:20"},
        8: {"2024-03-02T08:18:20": "2025-03-02T08:18:20"},
    }
    result = assert_same_verdict_in_chunks(report(orders(12, defects=defects)), 4)
    assert failed(result) == ["currency_is_header_currency", "posted_at_within_period"]
    by_name = {o.name: o for o in result.results}
    assert [r["row"] for r in by_name["currency_is_header_currency"].offending_rows] == [7, 8]
    period = by_name["posted_at_within_period"].offending_rows
    assert [r["row"] for r in period] == [14, 15, 16, 17]


def test_a_missing_amazon_order_id_in_a_later_chunk_is_named():
    defects = {9: {"<AmazonOrderID>302-0000009-1234567</AmazonOrderID>": ""}}
    result = assert_same_verdict_in_chunks(report(orders(12, defects=defects)), 4)
    assert failed(result) == ["order_rows_have_amazon_order_id"]


def csv_lines(count: int) -> list[str]:
    return [row(transaction_id=f"P01-1234567-1234567-C{n:06d}") for n in range(count)]


def test_csv_fee_arithmetic_and_duplicates_across_chunks_match_the_whole_frame():
    lines = csv_lines(10)
    lines[4] = lines[4].replace('"-0.59","9.41"', '"-0.58","9.42"')  # total fee off by a cent
    lines[9] = lines[9].replace('"9.41"', '"9.40"')  # net off by a cent
    lines.append(lines[0])  # the first capture again, at the end
    result = assert_same_verdict_in_chunks(settlement_csv(*lines), 3)
    assert failed(result) == [
        "rows_are_unique",
        "fee_total_is_percentage_plus_fixed",
        "net_is_amount_plus_fee",
    ]
    fees = {o.name: o for o in result.results}["fee_total_is_percentage_plus_fixed"]
    assert [r["row"] for r in fees.offending_rows] == [4]


def test_a_clean_csv_report_is_valid_in_chunks():
    result = assert_same_verdict_in_chunks(settlement_csv(*csv_lines(9)), 3)
    assert result.valid, result.message()


def test_different_keys_sharing_a_hash_are_told_apart_on_the_second_pass(monkeypatch):
    # A 64-bit collision cannot be found on purpose: hashes cut down to two bits collide on
    # nearly every row, and only the exact keys may decide which rows are duplicates.
    real = unique_hashes.key_hashes
    monkeypatch.setattr(unique_hashes, "key_hashes", lambda frame: real(frame) % np.uint64(4))
    transactions = orders(25)
    transactions += [transactions[3], transactions[17]]
    data = report(transactions)
    whole = check_report(parse_report(data))
    chunks = lambda: iter_report(data, chunk_rows=6)  # noqa: E731
    hashed = check_report_chunks(chunks(), reread=chunks)
    assert verdict(hashed) == verdict(whole)
    unique = {o.name: o for o in hashed.results}["rows_are_unique"]
    assert [r["row"] for r in unique.offending_rows] == [6, 7, 34, 35, 50, 51, 52, 53]


def test_a_report_without_repeated_hashes_is_read_once():
    data = report(orders(30))
    passes = []

    def reread():
        passes.append(1)
        return iter_report(data, chunk_rows=4)

    result = check_report_chunks(iter_report(data, chunk_rows=4), reread=reread)
    assert result.valid
    assert passes == []


def test_a_duplicate_makes_the_hashed_check_read_the_report_once_more():
    transactions = orders(10)
    data = report([*transactions, transactions[9]])
    passes = []

    def reread():
        passes.append(1)
        return iter_report(data, chunk_rows=4)

    result = check_report_chunks(iter_report(data, chunk_rows=4), reread=reread)
    assert failed(result) == ["rows_are_unique"]
    assert passes == [1]

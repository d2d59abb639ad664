"""Streaming parse: reports read in pieces come out in chunks that add up to the whole report."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest

from adapters.settlement_formats.parse import iter_report, parse_report
from adapters.settlement_formats.values import MAX_MINOR
from domain.settlement.model import ReportChunk, ReportError
from sandbox.settlement_xml import write_settlement_xml
from tests.settlement.builders import envelope, item, order
from tests.settlement.test_csv_report import row, settlement_csv


def generated(**options: Any) -> bytes:
    stream = io.BytesIO()
    write_settlement_xml(stream, **options)
    return stream.getvalue()


def csv_report(lines: int) -> bytes:
    return settlement_csv(
        *(row(transaction_id=f"P01-1234567-1234567-C{n:06d}") for n in range(lines))
    )


def assert_chunks_make_the_whole(data: bytes, chunk_rows: int) -> list[ReportChunk]:
    whole = parse_report(data)
    chunks = list(iter_report(data, chunk_rows=chunk_rows))
    assert [chunk.final for chunk in chunks] == [False] * (len(chunks) - 1) + [True]
    assert all(len(chunk.frame) >= chunk_rows for chunk in chunks[:-1])
    assert [chunk.first_row for chunk in chunks] == [
        sum(len(c.frame) for c in chunks[:i]) for i in range(len(chunks))
    ]
    glued = pd.concat([chunk.frame for chunk in chunks], ignore_index=True)
    pd.testing.assert_frame_equal(glued, whole.frame)
    assert all(chunk.header == whole.header for chunk in chunks)
    assert chunks[-1].skipped_elements == whole.skipped_elements
    if whole.transactions is not None:
        lines = pd.concat([chunk.transactions for chunk in chunks], ignore_index=True)
        pd.testing.assert_frame_equal(lines, whole.transactions)
    return chunks


@pytest.mark.parametrize("chunk_rows", [1, 7, 100])
@pytest.mark.parametrize(
    "options",
    [
        {"orders": 60, "seed": 1},
        {"orders": 40, "seed": 3, "newer_kinds": True, "refunds_share": 0.3},
        {"orders": 30, "seed": 4, "refund_element": "Adjustment", "currency": "JPY"},
    ],
)
def test_xml_chunks_concatenated_are_the_whole_report(options, chunk_rows):
    chunks = assert_chunks_make_the_whole(generated(**options), chunk_rows)
    assert len(chunks) > 1


@pytest.mark.parametrize("chunk_rows", [1, 3, 10, 1000])
def test_csv_chunks_concatenated_are_the_whole_report_lines_included(chunk_rows):
    chunks = assert_chunks_make_the_whole(csv_report(12), chunk_rows)
    assert [chunk.first_transaction for chunk in chunks] == [
        sum(len(c.transactions) for c in chunks[:i]) for i in range(len(chunks))
    ]


def test_a_report_with_no_amounts_is_one_empty_final_chunk():
    chunks = list(iter_report(envelope().encode(), chunk_rows=1))
    assert len(chunks) == 1 and chunks[0].final and chunks[0].frame.empty


def test_an_xml_transaction_is_never_split_between_chunks():
    two_items = item(code="1", sku="A") + item(code="2", sku="B")  # four money rows
    data = envelope(order(items=two_items), order(amazon_order_id="302-7654321-7654321"))
    chunks = list(iter_report(data.encode(), chunk_rows=3))
    assert [len(chunk.frame) for chunk in chunks] == [4, 2]
    assert chunks[0].frame["amazon_order_id"].nunique() == 1


class CountingStream(io.RawIOBase):
    """A file that records how much was read and the largest single read."""

    def __init__(self, data: bytes) -> None:
        self.source = io.BytesIO(data)
        self.read_bytes = 0
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.source.read(len(buffer))
        buffer[: len(chunk)] = chunk
        self.read_bytes += len(chunk)
        self.largest_read = max(self.largest_read, len(chunk))
        return len(chunk)


@pytest.mark.parametrize(
    "maker", [lambda: generated(orders=3000, seed=5), lambda: csv_report(6000)]
)
def test_the_first_chunk_comes_before_the_stream_is_read_to_its_end(maker):
    data = maker()
    stream = CountingStream(data)
    chunks = iter_report(stream, chunk_rows=500)
    first = next(chunks)
    assert len(first.frame) >= 500
    assert stream.read_bytes < len(data) // 2
    assert stream.largest_read <= 1 << 16
    assert sum(len(chunk.frame) for chunk in chunks) > 0


def test_amounts_too_large_together_are_refused_even_when_they_sit_in_different_chunks():
    half = f"{(MAX_MINOR // 2 + 1) / 100:.2f}"  # two of them pass the store's int64
    data = envelope(
        order(items=item(code="1", principal=half, commission="0.00")),
        order(amazon_order_id="302-7654321-7654321", items=item(code="2", principal=half)),
    ).encode()
    with pytest.raises(ReportError, match=r"line \d+: amount: the amounts up to here add up"):
        list(iter_report(data, chunk_rows=1))
    with pytest.raises(ReportError, match="add up to more than"):
        parse_report(data)


def test_a_csv_line_of_another_settlement_in_a_later_chunk_is_refused_naming_its_line():
    data = settlement_csv(row(), row(transaction_id="P01-2", settlement_id="5984862223"))
    with pytest.raises(ReportError, match=r"^line 8: SettlementId '5984862223' differs"):
        list(iter_report(data, chunk_rows=1))

"""A frame is validated with BASIC first and again with COMPLETE only when an expectation failed:
the verdict, every observed value and every offending row are those of COMPLETE alone."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.quality import engine
from adapters.quality.chunked import check_report_chunks
from adapters.quality.runner import check_report
from adapters.settlement_formats.parse import iter_report, parse_report
from tests.quality.frames import frame_of, order_rows, xml_report
from tests.quality.test_chunked_check import orders, report, verdict
from tests.settlement.test_csv_report import row, settlement_csv

CHUNK_ROWS = 4  # two orders a chunk


def usd_at(*numbers: int) -> dict[int, dict[str, str]]:
    """Orders whose principal is stated in USD (the header's currency is EUR)."""
    change = {'<Amount currency="EUR">10.00': '<Amount currency="USD">10.00'}
    return {n: change for n in numbers}


REPORTS = {
    "clean": report(orders(10)),
    "a wrong currency in two chunks": report(orders(10, defects=usd_at(3, 8))),
    "a missing order id": report(
        orders(10, defects={5: {"<AmazonOrderID>302-0000005-1234567</AmazonOrderID>": ""}})
    ),
    "a duplicate and a fee off by a cent (CSV)": settlement_csv(
        *[row(transaction_id=f"P01-1234567-1234567-C{n:06d}") for n in range(6)],
        row(transaction_id="P01-1234567-1234567-C000000"),
        row(transaction_id="P01-1234567-1234567-C000099").replace('"9.41"', '"9.40"'),
    ),
}


class Formats:
    """Which result formats GX was asked for, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, complete_only: bool = False):
        self.asked: list[str] = []
        run = engine._run

        def recorded(spec: Any, frame: Any, parameters: Any, result_format: Any) -> Any:
            self.asked.append(result_format["result_format"])
            return run(spec, frame, parameters, result_format)

        monkeypatch.setattr(engine, "_run", recorded)
        if complete_only:
            monkeypatch.setattr(engine, "FIRST_FORMAT", engine.RESULT_FORMAT)


def both_ways(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The whole-frame and the chunked verdict."""
    whole = verdict(check_report(parse_report(data)))
    chunked = verdict(check_report_chunks(iter_report(data, chunk_rows=CHUNK_ROWS)))
    return whole, chunked


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_the_verdict_is_the_one_of_complete_results_alone(name, monkeypatch):
    data = REPORTS[name]
    two_step = both_ways(data)
    with monkeypatch.context() as patched:
        Formats(patched, complete_only=True)
        complete = both_ways(data)
    assert two_step == complete
    if name != "clean":
        assert not two_step[0]["valid"]
        assert any(r["offending_rows"] for r in two_step[0]["results"])


def test_a_passing_chunk_is_validated_once_and_only_a_failing_one_again(monkeypatch):
    formats = Formats(monkeypatch)
    result = check_report_chunks(iter_report(REPORTS["clean"], chunk_rows=CHUNK_ROWS))
    assert result.valid
    assert formats.asked and set(formats.asked) == {"BASIC"}
    runs = len(formats.asked)  # per chunk its rows and order ids; the total once

    formats.asked.clear()
    data = REPORTS["a wrong currency in two chunks"]  # orders 3 and 8: two chunks
    result = check_report_chunks(iter_report(data, chunk_rows=CHUNK_ROWS))
    assert result.failed_expectations == ["currency_is_header_currency"]
    assert formats.asked.count("BASIC") == runs
    assert formats.asked.count("COMPLETE") == 2


def test_an_expectation_that_cannot_run_is_validated_again_with_complete(monkeypatch):
    frame = frame_of(order_rows()).drop(columns=["currency"])  # a row check's column is gone
    formats = Formats(monkeypatch)
    result = check_report(xml_report(frame))
    assert not result.valid
    assert "COMPLETE" in formats.asked
    with monkeypatch.context() as patched:
        Formats(patched, complete_only=True)
        assert verdict(check_report(xml_report(frame))) == verdict(result)

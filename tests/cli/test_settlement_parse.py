"""`settlement parse` streams the file: the same outcome as parsing and checking it whole,
without ever holding the file's bytes or the whole frame."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.quality.runner import check_report
from adapters.settlement_formats.parse import parse_report
from cli.main import app
from domain.money import Money
from sandbox.settlement_xml import write_settlement_xml
from services.settlements import check_file
from tests.settlement.builders import envelope
from tests.settlement.test_csv_report import row, settlement_csv

CLI = str(Path(sys.executable).parent / "amazon-payments")
LIMIT = 1024 * 1024


def parse(*args: str):
    return CliRunner().invoke(app, ["settlement", "parse", *args])


def whole_outcome(data: bytes) -> dict:
    """What `settlement parse --json` printed when it read and checked the whole report."""
    report = parse_report(data)
    header, summed = report.header, int(report.frame["amount_minor"].sum())
    result = check_report(report)
    return {
        "settlement_id": header.settlement_id,
        "format": header.report_format,
        "currency": header.currency,
        "total_amount": str(
            (header.stated_total or Money.from_minor(summed, header.currency)).amount
        ),
        "rows": len(report.frame),
        "sum_amount": str(Money.from_minor(summed, header.currency).amount),
        "valid": result.valid,
        "failed_expectations": list(result.failed_expectations),
    }


def generated(path: Path, orders: int, **options) -> bytes:
    write_settlement_xml(path, orders=orders, seed=5, newer_kinds=True, **options)
    return path.read_bytes()


def test_a_valid_report_gives_the_whole_reports_json_and_exit_0(tmp_path):
    path = tmp_path / "report.xml"
    data = generated(path, 40, refunds_share=0.2)
    result = parse(str(path), "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert printed == whole_outcome(data)
    assert printed["valid"] is True


@pytest.mark.parametrize("chunk_rows", [5, 40, 100_000])
def test_a_rejected_report_gives_the_whole_reports_verdict_in_any_chunk_size(tmp_path, chunk_rows):
    path = tmp_path / "report.xml"
    data = generated(path, 30)
    total = data.index(b"<TotalAmount")
    head, stated = data[:total], data[total:].split(b">", 1)
    amount, rest = stated[1].split(b"<", 1)
    cents = int(amount.replace(b".", b"")) + 1  # the stated total one minor unit too high
    broken = head + stated[0] + b">" + f"{cents / 100:.2f}".encode() + b"<" + rest
    doubled = broken.replace(
        b"</SettlementReport>",
        broken[broken.index(b"<Order>") :].split(b"</Order>")[0] + b"</Order></SettlementReport>",
    )  # the first order once more, at the end
    path.write_bytes(doubled)
    imported = check_file(path, chunk_rows=chunk_rows)
    assert imported.summary == whole_outcome(doubled)
    assert imported.summary["failed_expectations"] == ["rows_are_unique", "sum_equals_stated_total"]
    assert imported.check is not None
    whole = check_report(parse_report(doubled)).to_json()
    chunked = imported.check.to_json()
    assert {**chunked, "elapsed_ms": 0} == {**whole, "elapsed_ms": 0}


def test_a_rejected_report_exits_3_with_the_failed_expectations(tmp_path):
    path = tmp_path / "report.xml"
    path.write_bytes(envelope(total="0.01").encode())
    result = parse(str(path), "--json")
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == whole_outcome(path.read_bytes())


def test_an_amazon_pay_csv_gives_the_whole_reports_json(tmp_path):
    path = tmp_path / "report.csv"
    lines = [row(transaction_id=f"P01-1234567-1234567-C{n:06d}") for n in range(5)]
    path.write_bytes(settlement_csv(*lines))
    result = parse(str(path), "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert printed == whole_outcome(path.read_bytes())
    assert printed["total_amount"] == printed["sum_amount"]


def test_an_error_late_in_the_file_is_unreadable_exit_2(tmp_path):
    path = tmp_path / "report.xml"
    data = generated(path, 30)
    path.write_bytes(data.replace(b"</AmazonEnvelope>", b""))  # truncated at the very end
    result = parse(str(path), "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}: line ")


def test_a_pipe_that_looks_like_a_report_is_cut_off_at_the_limit():
    command = [CLI, "settlement", "parse", "/dev/stdin", "--max-bytes", str(LIMIT)]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    written = [0]

    def feed() -> None:  # a report's head, then endless whitespace inside the envelope
        assert process.stdin is not None
        try:
            process.stdin.write(b'<?xml version="1.0"?>\n<AmazonEnvelope>\n')
            while written[0] < 64 * LIMIT:
                process.stdin.write(b" " * 65536)
                written[0] += 65536
            process.stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        process.wait(timeout=300)  # its output is one line: the pipes cannot fill up
    finally:
        process.kill()
    feeder.join(timeout=10)
    assert process.stderr is not None
    stderr = process.stderr.read()
    assert process.returncode == 2, stderr
    (line,) = stderr.decode().strip().splitlines()
    assert line == f"/dev/stdin: stdin is larger than the limit of {LIMIT} bytes"
    assert written[0] < 64 * LIMIT


def test_checking_a_file_holds_neither_its_bytes_nor_its_whole_frame(tmp_path):
    path = tmp_path / "report.xml"
    size = len(generated(path, 6000))  # about 8 MB and 23,000 money rows
    small = tmp_path / "small.xml"
    generated(small, 2)
    assert check_file(small).summary["valid"]  # Great Expectations imported and set up
    tracemalloc.start()
    try:
        imported = check_file(path, chunk_rows=2000)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert imported.summary["valid"], imported.summary
    assert imported.summary["rows"] > 20_000
    # holding the bytes alone would take `size`, and the whole frame is more than that again
    assert peak < size * 0.75, (peak, size)


def test_a_piped_report_with_a_duplicate_is_read_once_and_rejected_like_the_whole(tmp_path):
    data = generated(tmp_path / "report.xml", 12)
    first = data[data.index(b"<Order>") :].split(b"</Order>")[0] + b"</Order>"
    doubled = data.replace(b"</SettlementReport>", first + b"</SettlementReport>")
    command = [CLI, "settlement", "parse", "/dev/stdin", "--json"]
    result = subprocess.run(command, input=doubled, capture_output=True, timeout=300)
    assert result.returncode == 3, result.stderr
    printed = json.loads(result.stdout.decode().strip().splitlines()[-1])
    assert printed == whole_outcome(doubled)
    assert "rows_are_unique" in printed["failed_expectations"]

"""Hostile settlement input through the real command line: one line on stderr, nothing stored.

Every refusal here is the CLI's refusal of unreadable or unsafe input (exit 2, the convention of
`cli/settlement.py`), on SQLite and PostgreSQL alike, and leaves the store as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from adapters.erp.schema import (
    AmazonRefRow,
    DocumentRow,
    ItemRow,
    PaymentRow,
    ReviewItemRow,
    SettlementReportRow,
)
from adapters.erp.store import UnitOfWork
from cli.main import app
from domain.settlement.model import MAX_ID_CHARS
from tests.posting.builders import document, store_documents
from tests.settlement.builders import envelope, item, order
from tests.settlement.test_csv_report import settlement_csv

CLI = str(Path(sys.executable).parent / "amazon-payments")
UNREADABLE_EXIT = 2
LIMIT = 1024 * 1024  # a small --max-bytes keeps these tests fast and light


@pytest.fixture
def run(database_url: str, monkeypatch: pytest.MonkeyPatch):
    """The settlement commands in this process, on this test's store."""
    monkeypatch.setenv("AMAZON_PAYMENTS_DATABASE_URL", database_url)

    def invoke(*args: str):
        return CliRunner().invoke(app, ["settlement", *args])

    return invoke


def stored(engine: Engine) -> dict[str, int]:
    """How many report, payment and review rows the store holds."""
    with UnitOfWork(engine) as uow:
        return {
            row.__tablename__: uow.session.scalar(select(func.count()).select_from(row)) or 0
            for row in (SettlementReportRow, PaymentRow, ReviewItemRow)
        }


NOTHING = {"settlement_reports": 0, "payments": 0, "settlement_review": 0}


def refusal_line(result, exit_code: int = UNREADABLE_EXIT) -> str:
    """The one stderr line of a refused command (and nothing on stdout)."""
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    return line


def test_dev_zero_is_read_no_further_than_the_limit(run, engine):
    result = run("import", "/dev/zero", "--max-bytes", str(LIMIT))
    line = refusal_line(result)
    assert line == f"/dev/zero: zero is larger than the limit of {LIMIT} bytes"
    assert stored(engine) == NOTHING


def test_parse_refuses_dev_zero_from_its_first_bytes(run, engine):
    # parse streams: it sniffs the first 4 KiB and refuses them, before any limit is reached
    # (a stream that looks like a report is cut off at the limit: tests/cli/test_settlement_parse)
    line = refusal_line(run("parse", "/dev/zero", "--max-bytes", str(LIMIT)))
    assert line.startswith("/dev/zero: line 1: unrecognised report")
    assert stored(engine) == NOTHING


def test_a_regular_file_over_the_limit_is_refused_before_it_is_read(run, engine, tmp_path):
    report = tmp_path / "big.xml"
    report.write_bytes(b"<" + b" " * LIMIT)
    line = refusal_line(run("import", str(report), "--max-bytes", str(LIMIT)))
    assert line == f"{report}: big.xml has {LIMIT + 1} bytes, more than the limit of {LIMIT}"
    assert stored(engine) == NOTHING


def test_an_endless_pipe_on_stdin_is_cut_off_at_the_limit(database_url, engine):
    env = {**os.environ, "AMAZON_PAYMENTS_DATABASE_URL": database_url}
    command = [CLI, "settlement", "import", "/dev/stdin", "--max-bytes", str(LIMIT)]
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    written = [0]

    def feed() -> None:  # writes until the reader goes away: 64 times the limit at most
        assert process.stdin is not None
        try:
            while written[0] < 64 * LIMIT:
                process.stdin.write(b"\0" * 65536)
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
    assert process.stdout is not None and process.stderr is not None
    stdout, stderr = process.stdout.read(), process.stderr.read()
    assert process.returncode == UNREADABLE_EXIT, stderr
    assert stdout == b""
    (line,) = stderr.decode().strip().splitlines()
    assert line == f"/dev/stdin: stdin is larger than the limit of {LIMIT} bytes"
    assert written[0] < 64 * LIMIT  # the command stopped reading; the pipe broke
    assert stored(engine) == NOTHING


LARGEST = "92233720368547758.07"  # 2**63 - 1 cents: the most a BigInteger of minor units holds
BEYOND = "92233720368547758.08"
HUGE = "1" + "0" * 30


def csv_line(
    amount: str = "10.00",
    fees: tuple[str, str, str] = ("-0.29", "-0.30", "-0.59"),
    net: str = "9.41",
    transaction_id: str = "P01-1234567-1234567-C034811",
    order_reference: str = "P01-1234567-1234567",
    seller_order: str = "ORD-77",
    date: str = "2024-03-01T11:10:34 -0700",
) -> str:
    """One Amazon Pay CSV data row with the money exactly as given."""
    values = [
        *(date, "5984862222", transaction_id, "RE-1001", "Capture", order_reference),
        *(seller_order, "Shop", "EUR", "", amount, *fees, net),
    ]
    return ",".join(f'"{value}"' for value in values)


def xml_orders(*principals: str, total: str | None = None, **ids: str) -> str:
    """An XML report of one order per principal (no fees); the total is their sum unless given."""
    orders = [
        order(**ids, merchant_order_id=f"RE-{n}", items=item(principal=p, commission="0.00"))
        for n, p in enumerate(principals)
    ]
    return envelope(*orders, total=total if total is not None else principals[0])


HOSTILE = {
    "xml-amount-1e30.xml": (xml_orders(HUGE, total="1.00"), "line 7: amount: expected an amount"),
    "xml-amount-beyond-int64.xml": (xml_orders(BEYOND), "SettlementData/TotalAmount"),
    "xml-item-beyond-int64.xml": (xml_orders(BEYOND, total="1.00"), f"got '{BEYOND}'"),
    "xml-total-1e30.xml": (xml_orders("1.00", total=HUGE), "SettlementData/TotalAmount"),
    "xml-total-beyond-int64.xml": (xml_orders("1.00", total=BEYOND), "SettlementData/TotalAmount"),
    "xml-amounts-add-up-beyond.xml": (xml_orders(LARGEST, LARGEST, total="0.00"), "add up"),
    "xml-posted-in-year-1.xml": (
        xml_orders("1.00").replace("2024-03-02T08:18:20+00:00", "0001-01-01T00:00:00+00:00"),
        "Order/PostedDate: expected a date-time between",
    ),
    "csv-amount-1e30.csv": (csv_line(amount=HUGE, net=HUGE), "line 7: TransactionAmount"),
    "csv-fee-beyond-int64.csv": (
        csv_line(fees=("0.00", BEYOND, BEYOND)),
        "line 7: TransactionFixedFee: expected an amount",
    ),
    "csv-amounts-add-up-beyond.csv": (
        csv_line(amount=LARGEST, fees=("0", "0", "0"), net=LARGEST),
        "line 7: amount: the amounts up to here add up",
    ),
    "csv-posted-in-year-9999.csv": (
        csv_line(date="9999-12-31T23:59:59 -0700"),
        "line 7: TransactionPostedDate: expected a date-time between",
    ),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_value_is_refused_in_one_line_and_nothing_is_stored(run, engine, tmp_path, name):
    content, expected = HOSTILE[name]
    path = tmp_path / name
    data = content if name.endswith(".xml") else settlement_csv(content)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    line = refusal_line(run("import", str(path)))
    assert line.startswith(f"{path}: ") and expected in line, line
    assert stored(engine) == NOTHING


LONG = "X" * (MAX_ID_CHARS + 1)
# Each row matches a stored document, so the ids would reach the payments' columns.
TEXT = {
    "csv-transaction-id-too-long.csv": (
        csv_line(transaction_id=LONG),
        f"line 7: AmazonTransactionId: expected at most {MAX_ID_CHARS} characters, got 65",
    ),
    "csv-order-reference-too-long.csv": (
        csv_line(order_reference=LONG),
        "line 7: AmazonOrderReferenceId: expected at most",
    ),
    "csv-seller-order-too-long.csv": (
        csv_line(seller_order="ORD-77" + LONG),
        "line 7: SellerOrderId: expected at most",
    ),
    "csv-nul-in-transaction-id.csv": (
        csv_line(transaction_id="P01-1234567-1234567-C0\x00"),
        "line 7: AmazonTransactionId: expected text without NUL characters",
    ),
    "csv-nul-in-seller-order.csv": (
        csv_line(seller_order="ORD-77\x00"),
        "line 7: SellerOrderId: expected text without NUL characters",
    ),
    "xml-amazon-order-id-too-long.xml": (
        xml_orders("1.00", amazon_order_id=LONG),
        f"line 7: Order/AmazonOrderID: expected at most {MAX_ID_CHARS} characters, got 65",
    ),
    "xml-shipment-id-too-long.xml": (
        xml_orders("1.00").replace(">D3BkSVRKR<", f">{LONG}<"),
        "line 7: Order/ShipmentID: expected at most",
    ),
    "xml-sku-too-long.xml": (
        xml_orders("1.00").replace(">SKU-1<", f">{LONG}<"),
        "line 7: Item/SKU: expected at most",
    ),
    "xml-nul-character.xml": (
        xml_orders("1.00").replace(">SKU-1<", ">SKU-\x00<"),
        "line 7: malformed XML",
    ),
}


@pytest.mark.parametrize("name", TEXT)
def test_a_nul_or_an_id_too_long_for_the_store_is_refused_on_every_database(
    run, engine, tmp_path, name
):
    store_documents(engine, document("ORD-77", "10.00"), document("RE-0", "1.00"))
    content, expected = TEXT[name]
    path = tmp_path / name
    data = content if name.endswith(".xml") else settlement_csv(content)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    line = refusal_line(run("import", str(path)))
    assert line.startswith(f"{path}: ") and expected in line, line
    assert stored(engine) == NOTHING


def test_the_id_limit_of_the_parsers_fits_the_store_columns():
    columns = (
        PaymentRow.transaction_id,
        PaymentRow.amazon_order_id,
        DocumentRow.number,
        ItemRow.sku,
        AmazonRefRow.amazon_id,
    )
    assert {column.type.length for column in columns} == {MAX_ID_CHARS}

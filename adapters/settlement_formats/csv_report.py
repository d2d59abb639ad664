"""Parser of the Amazon Pay settlement CSV (`_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_`).

The file is UTF-8 with a BOM: a preamble ("Amazon Payments Advanced", "Settlement Report",
SellerId, SettlementStartDate, SettlementEndDate), a header row with a trailing comma, then one
all-quoted row per Capture, Refund, Transfer, Reserve ... Each row yields three frame rows (the
amount and the two fees); the stated total fee and net amount are derived values and travel in
`ParsedReport.transactions`, one row per CSV line, for the quality check's fee arithmetic.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Protocol

import numpy as np
import pandas as pd

from adapters.settlement_formats.frame import build_frame, concat_chunks
from adapters.settlement_formats.values import (
    check_amount_sum,
    check_text,
    currency_decimals,
    parse_timestamp,
    timestamp_ns,
    to_minor,
)
from domain.settlement.model import (
    DEFAULT_CHUNK_ROWS,
    MAX_ID_CHARS,
    ParsedReport,
    ReportChunk,
    ReportError,
    ReportHeader,
)

REPORT_FORMAT = "amazon-pay-csv"
# One row per CSV line, beside the frame: what the fee arithmetic check reads.
TRANSACTION_COLUMNS: dict[str, str] = {
    "settlement_id": "string",
    "transaction_id": "string",
    "source_line": "Int64",
    "amount_minor": "int64",
    "percentage_fee_minor": "int64",
    "fixed_fee_minor": "int64",
    "total_fee_minor": "int64",
    "net_minor": "int64",
    "currency": "string",
}
KIND_OF_TYPE: dict[str, str] = {
    "Capture": "order",
    "Refund": "refund",
    "Chargeback": "chargeback",
    "A-to-z Guarantee Claim": "guarantee_claim",
    "Transfer": "transfer",
    "Reserve": "reserve",
}
# CSV money column -> (transactions column, frame amount_group or None for derived values).
_MONEY = {
    "TransactionAmount": ("amount_minor", "Transaction"),
    "TransactionPercentageFee": ("percentage_fee_minor", "Fee"),
    "TransactionFixedFee": ("fixed_fee_minor", "Fee"),
    "TotalTransactionFee": ("total_fee_minor", None),
    "NetTransactionAmount": ("net_minor", None),
}
_COLUMNS = (
    *("TransactionPostedDate", "SettlementId", "AmazonTransactionId", "SellerReferenceId"),
    *("TransactionType", "AmazonOrderReferenceId", "SellerOrderId", "CurrencyCode"),
    *_MONEY,
)
# Columns that become the frame's identifiers (transaction, Amazon and merchant order id).
_ID_COLUMNS = ("AmazonTransactionId", "AmazonOrderReferenceId", "SellerOrderId")
_PREAMBLE_LINES = 10
_FRAME_ROW_COLUMNS = (
    *("transaction_kind", "transaction_type", "amazon_order_id", "merchant_order_id"),
    *("transaction_id", "merchant_reference_id", "posted_at", "amount_group", "amount_type"),
    *("amount_minor", "currency", "sku", "item_id", "quantity", "source_line"),
)


class _LineReader(Protocol):
    """What the parser uses of `csv.reader`: its rows and the current physical line."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


def parse_amazon_pay_csv(stream: IO[bytes]) -> ParsedReport:
    """Parse an Amazon Pay settlement CSV from a binary stream into header, frame, transactions."""
    return concat_chunks(iter_amazon_pay_csv(stream, chunk_rows=None))


def iter_amazon_pay_csv(
    stream: IO[bytes], *, chunk_rows: int | None = DEFAULT_CHUNK_ROWS
) -> Iterator[ReportChunk]:
    """Parse an Amazon Pay settlement CSV from a binary stream, yielding frames of whole lines.

    Args:
        chunk_rows: a chunk is yielded once it holds this many frame rows (each CSV line gives
            three); None collects the whole report into one chunk.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        preamble, header = _read_preamble(reader)
        chunks = _Chunks(preamble)
        for line, record in _records(reader, header):
            _add_record(record, line, chunks.frame_rows, chunks.transactions)
            if chunk_rows is not None and len(chunks.frame_rows["amount_minor"]) >= chunk_rows:
                yield chunks.take(final=False)
    except UnicodeDecodeError as error:
        raise ReportError(f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except csv.Error as error:
        raise ReportError(f"line {reader.line_num}: unreadable CSV: {error}") from None
    finally:
        text.detach()  # the caller's stream stays open: it is the caller's to close
    yield chunks.take(final=True)


class _Chunks:
    """The lines read since the last chunk, and what the report's chunks so far have shown."""

    def __init__(self, preamble: dict[str, tuple[str, int]]) -> None:
        self.preamble = preamble
        self.header: ReportHeader | None = None
        self.magnitudes = 0
        self.rows_done = 0
        self.lines_done = 0
        self.frame_rows: dict[str, list[object]] = {}
        self.transactions: dict[str, list[object]] = {}
        self._clear()

    def _clear(self) -> None:
        self.frame_rows = {name: [] for name in _FRAME_ROW_COLUMNS}
        self.transactions = {name: [] for name in TRANSACTION_COLUMNS}

    def take(self, *, final: bool) -> ReportChunk:
        """The lines read since the last chunk as frame and transaction lines, then forgotten."""
        transactions = self.transactions
        self.magnitudes = _check_sums(transactions, self.magnitudes)
        if self.header is None:
            self.header = _header(self.preamble, transactions)
        else:
            _check_settlement_ids(transactions, self.header.settlement_id)
        frame = build_frame(
            self.frame_rows,
            {"settlement_id": self.header.settlement_id, "report_format": REPORT_FORMAT},
        )
        chunk = ReportChunk(
            header=self.header,
            frame=frame,
            first_row=self.rows_done,
            transactions=_transactions(transactions),
            first_transaction=self.lines_done,
            final=final,
        )
        self.rows_done += len(frame)
        self.lines_done += len(transactions["source_line"])
        self._clear()
        return chunk


def _read_preamble(reader: _LineReader) -> tuple[dict[str, tuple[str, int]], list[str]]:
    """Key/value lines up to the header row, and the header's column names."""
    preamble: dict[str, tuple[str, int]] = {}
    for row in reader:
        line = reader.line_num
        if row and row[0] == "TransactionPostedDate":
            header = row[:-1] if row[-1] == "" else row  # the header line ends with a comma
            missing = [name for name in _COLUMNS if name not in header]
            if missing:
                raise ReportError(f"line {line}: header lacks column(s) {', '.join(missing)}")
            return preamble, header
        if len(row) >= 2 and row[0]:
            preamble[row[0]] = (row[1], line)
        if line >= _PREAMBLE_LINES:
            break
    raise ReportError(
        f"no 'TransactionPostedDate' header row in the first {_PREAMBLE_LINES} lines: "
        "not an Amazon Pay settlement report"
    )


def _records(reader: _LineReader, header: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, column -> text) per data row; blank lines are passed over."""
    for row in reader:
        line = reader.line_num
        if not any(field.strip() for field in row):
            continue  # a blank line, e.g. at the end of the file
        fields = row[:-1] if len(row) == len(header) + 1 and row[-1] == "" else row
        if len(fields) != len(header):
            raise ReportError(f"line {line}: expected {len(header)} fields, found {len(row)}")
        record = dict(zip(header, fields, strict=True))
        _check_texts(record, line)
        yield line, record


def _check_texts(record: dict[str, str], line: int) -> None:
    """No NUL in any field, no identifier longer than the store's columns (cheap when fine)."""
    if "\x00" in "".join(record.values()):
        for name, text in record.items():
            check_text(text, line, name)
    for name in _ID_COLUMNS:
        if len(record[name]) > MAX_ID_CHARS:
            check_text(record[name].strip(), line, name, MAX_ID_CHARS)


def _add_record(
    record: dict[str, str],
    line: int,
    frame_rows: dict[str, list[object]],
    transactions: dict[str, list[object]],
) -> None:
    """One CSV line: a row of `transactions`, and one frame row per booked amount."""
    currency = record["CurrencyCode"].strip()
    decimals = currency_decimals(currency, line, "CurrencyCode")
    money = {name: to_minor(record[name], decimals, line, name) for name in _MONEY}
    transaction_id = record["AmazonTransactionId"].strip() or f"line-{line}"
    stated = {
        "settlement_id": record["SettlementId"].strip(),
        "transaction_id": transaction_id,
        "source_line": line,
        "currency": currency,
        **{column: money[name] for name, (column, _group) in _MONEY.items()},
    }
    for column, value in stated.items():
        transactions[column].append(value)
    per_line = _line_values(record, line, transaction_id, currency)
    for name, (_column, group) in _MONEY.items():
        if group is None:
            continue  # derived: total fee and net amount are checked, not booked
        for column, value in per_line.items():
            frame_rows[column].append(value)
        frame_rows["amount_group"].append(group)
        frame_rows["amount_type"].append(name)
        frame_rows["amount_minor"].append(money[name])


def _line_values(
    record: dict[str, str], line: int, transaction_id: str, currency: str
) -> dict[str, object]:
    """The frame values shared by the amounts of one CSV line."""
    transaction_type = record["TransactionType"].strip()
    return {
        "transaction_kind": KIND_OF_TYPE.get(transaction_type, "other"),
        "transaction_type": transaction_type,
        "amazon_order_id": record["AmazonOrderReferenceId"].strip() or None,
        "merchant_order_id": record["SellerOrderId"].strip() or None,
        "transaction_id": transaction_id,
        "merchant_reference_id": record["SellerReferenceId"].strip() or None,
        "posted_at": timestamp_ns(record["TransactionPostedDate"], line, "TransactionPostedDate"),
        "currency": currency,
        "sku": None,
        "item_id": None,
        "quantity": None,
        "source_line": line,
    }


def _check_sums(transactions: dict[str, list[object]], before: int) -> int:
    """Every stated amount, fees and net too, counts towards the bound of what sums can hold."""
    money = [np.asarray(transactions[column], dtype=np.int64) for column, _ in _MONEY.values()]
    lines = np.repeat(np.asarray(transactions["source_line"], dtype=np.int64), len(money))
    return check_amount_sum(np.column_stack(money).ravel(), lines, "amount", before)


def _header(
    preamble: dict[str, tuple[str, int]], transactions: dict[str, list[object]]
) -> ReportHeader:
    """The header: period from the preamble, settlement id and currency from the rows."""
    ids = transactions["settlement_id"]
    if not ids:
        raise ReportError("no transaction rows: the settlement id and currency are unknown")
    first = str(ids[0])
    _check_settlement_ids(transactions, first)
    if not (first.isascii() and first.isdigit() and len(first) <= 20):
        raise ReportError(
            f"line {transactions['source_line'][0]}: SettlementId: expected 1-20 digits, "
            f"got {first!r}"
        )

    def period(name: str) -> tuple[str | None, int | None]:
        return preamble.get(name, (None, None))

    return ReportHeader(
        settlement_id=first,
        report_format=REPORT_FORMAT,
        currency=str(transactions["currency"][0]),  # others are the quality check's to flag
        period_start=parse_timestamp(*period("SettlementStartDate"), "SettlementStartDate"),
        period_end=parse_timestamp(*period("SettlementEndDate"), "SettlementEndDate"),
    )


def _check_settlement_ids(transactions: dict[str, list[object]], first: str) -> None:
    """Every line names the report's settlement (the first line's)."""
    for index, value in enumerate(transactions["settlement_id"]):
        if value != first:
            line = transactions["source_line"][index]
            raise ReportError(
                f"line {line}: SettlementId {value!r} differs from {first!r}: one report, "
                "one settlement"
            )


def _transactions(columns: dict[str, list[object]]) -> pd.DataFrame:
    return pd.DataFrame(
        {name: pd.Series(columns[name], dtype=dtype) for name, dtype in TRANSACTION_COLUMNS.items()}
    )

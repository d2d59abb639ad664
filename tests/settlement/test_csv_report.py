"""The Amazon Pay settlement CSV: real anonymized samples and inline variants."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from adapters.settlement_formats.csv_report import TRANSACTION_COLUMNS
from adapters.settlement_formats.parse import parse_report
from domain.settlement.model import UNIQUE_KEY, ReportError
from tests.settlement.builders import assert_contract

HEADER = (
    '"TransactionPostedDate","SettlementId","AmazonTransactionId","SellerReferenceId",'
    '"TransactionType","AmazonOrderReferenceId","SellerOrderId","StoreName","CurrencyCode",'
    '"TransactionDescription","TransactionAmount","TransactionPercentageFee",'
    '"TransactionFixedFee","TotalTransactionFee","NetTransactionAmount",'
)
PREAMBLE = (
    '"Amazon Payments Advanced",\n"Settlement Report",\n"SellerId","ABCDEFGHIJKLM"\n'
    '"SettlementStartDate","2024-03-01T15:00:44 -0700"\n'
    '"SettlementEndDate","2024-03-02T14:59:44 -0700"\n'
)


def settlement_csv(*rows: str) -> bytes:
    return ("\ufeff" + PREAMBLE + HEADER + "\n" + "\n".join(rows) + "\n").encode()


def row(
    kind: str = "Capture",
    amount: str = "10.00",
    fees: tuple[str, str] = ("-0.29", "-0.30"),
    currency: str = "EUR",
    transaction_id: str = "P01-1234567-1234567-C034811",
    settlement_id: str = "5984862222",
    date: str = "2024-03-01T11:10:34 -0700",
) -> str:
    total = Decimal(fees[0]) + Decimal(fees[1])
    net = Decimal(amount) + total
    values = [
        date,
        settlement_id,
        transaction_id,
        "RE-1001",
        kind,
        "P01-1234567-1234567",
        "ORD-77",
        "Shop",
        currency,
        "",
        amount,
        *fees,
        str(total),
        str(net),
    ]
    return ",".join(f'"{value}"' for value in values)


@pytest.fixture
def settlement_files(samples: Path) -> list[Path]:
    files = sorted((samples / "smashpig_amazonpay").glob("*SETTLEMENT_DATA*.csv"))
    assert len(files) == 2
    return files


def raw_rows(path: Path) -> list[dict[str, str]]:
    """The file's data rows read independently: plain csv module, header on line 6."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    return list(csv.DictReader(io.StringIO("\n".join(lines[5:]))))


def test_real_settlement_files_hold_the_fee_arithmetic_on_every_row(settlement_files):
    for path in settlement_files:
        with path.open("rb") as stream:
            report = parse_report(stream)
        money = report.transactions
        assert money is not None and len(money) == len(raw_rows(path)) == 2
        assert (
            money["total_fee_minor"] == money["percentage_fee_minor"] + money["fixed_fee_minor"]
        ).all()
        assert (money["net_minor"] == money["amount_minor"] + money["total_fee_minor"]).all()


def test_real_settlement_amounts_are_the_files_decimals_in_cents(settlement_files):
    columns = {
        "TransactionAmount": "amount_minor",
        "TransactionPercentageFee": "percentage_fee_minor",
        "TransactionFixedFee": "fixed_fee_minor",
        "TotalTransactionFee": "total_fee_minor",
        "NetTransactionAmount": "net_minor",
    }
    for path in settlement_files:
        money = parse_report(path.read_bytes()).transactions
        assert money is not None
        for raw, (_, parsed) in zip(raw_rows(path), money.iterrows(), strict=True):
            for name, column in columns.items():
                assert parsed[column] == int(Decimal(raw[name]) * 100)


def test_real_settlement_maps_types_and_ids_onto_the_frame(settlement_files):
    report = parse_report(settlement_files[0].read_bytes())
    assert_contract(report)
    frame = report.frame
    assert len(frame) == 6  # three amounts per CSV line
    transfer, capture = frame.iloc[0], frame.iloc[3]
    assert (transfer["transaction_kind"], transfer["transaction_type"]) == ("transfer", "Transfer")
    assert transfer["transaction_id"] == "line-7"  # the report states no id for a payout
    assert pd.isna(transfer["amazon_order_id"])
    assert (capture["transaction_kind"], capture["transaction_type"]) == ("order", "Capture")
    assert capture["transaction_id"] == "P01-1488694-1234567-C034811"
    assert capture["amazon_order_id"] == "P01-1234567-2138100"
    assert capture["merchant_reference_id"] == "87654321-0"
    assert pd.isna(capture["merchant_order_id"])
    assert capture["posted_at"] == pd.Timestamp("2015-10-01T18:10:34", tz="UTC")
    assert frame.loc[3:5, "amount_type"].tolist() == [
        "TransactionAmount",
        "TransactionPercentageFee",
        "TransactionFixedFee",
    ]
    assert frame.loc[3:5, "amount_group"].tolist() == ["Transaction", "Fee", "Fee"]
    assert frame.loc[3:5, "amount_minor"].tolist() == [1000, -29, -30]
    assert frame["source_line"].tolist() == [7, 7, 7, 8, 8, 8]
    assert not frame.duplicated(list(UNIQUE_KEY)).any()


def test_real_settlement_header_has_period_in_utc_and_no_stated_total(settlement_files):
    header = parse_report(settlement_files[1].read_bytes()).header
    assert (header.settlement_id, header.report_format, header.currency) == (
        "5984862222",
        "amazon-pay-csv",
        "USD",
    )
    assert header.period_start.isoformat() == "2018-09-11T07:04:03+00:00"
    assert header.period_end.isoformat() == "2018-09-18T07:00:03+00:00"
    assert header.stated_total is None and header.deposit_date is None


def test_the_reserve_row_is_of_kind_reserve(settlement_files):
    frame = parse_report(settlement_files[1].read_bytes()).frame
    assert frame["transaction_kind"].tolist()[:3] == ["reserve"] * 3


def test_transactions_frame_has_its_columns_and_dtypes():
    report = parse_report(settlement_csv(row()))
    money = report.transactions
    assert money is not None
    assert {name: str(dtype) for name, dtype in money.dtypes.items()} == TRANSACTION_COLUMNS
    assert money.iloc[0].to_dict() == {
        "settlement_id": "5984862222",
        "transaction_id": "P01-1234567-1234567-C034811",
        "source_line": 7,
        "amount_minor": 1000,
        "percentage_fee_minor": -29,
        "fixed_fee_minor": -30,
        "total_fee_minor": -59,
        "net_minor": 941,
        "currency": "EUR",
    }


def test_the_frame_sums_to_the_net_of_all_lines():
    report = parse_report(
        settlement_csv(row(), row("Refund", "-4.00", ("0.12", "0"), transaction_id="P01-1-R1"))
    )
    assert report.transactions is not None
    assert report.frame["amount_minor"].sum() == report.transactions["net_minor"].sum()


def test_transaction_types_map_onto_kinds():
    kinds = [
        "Capture",
        "Refund",
        "Chargeback",
        "A-to-z Guarantee Claim",
        "Transfer",
        "Reserve",
        "Debt",
        "Adjustment",
    ]
    report = parse_report(
        settlement_csv(*(row(kind, transaction_id=f"T{n}") for n, kind in enumerate(kinds)))
    )
    mapped = report.frame.groupby("transaction_type", sort=False)["transaction_kind"].first()
    assert mapped.to_dict() == {
        "Capture": "order",
        "Refund": "refund",
        "Chargeback": "chargeback",
        "A-to-z Guarantee Claim": "guarantee_claim",
        "Transfer": "transfer",
        "Reserve": "reserve",
        "Debt": "other",
        "Adjustment": "other",
    }


def test_dates_with_or_without_the_space_before_the_offset_are_the_same_instant():
    spaced = parse_report(settlement_csv(row(date="2024-03-01T11:10:34 -0700"))).frame
    tight = parse_report(settlement_csv(row(date="2024-03-01T11:10:34-0700"))).frame
    assert spaced["posted_at"].iloc[0] == tight["posted_at"].iloc[0]
    assert spaced["posted_at"].iloc[0] == pd.Timestamp("2024-03-01T18:10:34", tz="UTC")


def test_a_file_without_bom_and_with_crlf_line_ends_is_read_too():
    data = settlement_csv(row()).decode("utf-8-sig").replace("\n", "\r\n").encode()
    assert len(parse_report(data).frame) == 3


def test_rows_in_a_second_currency_are_kept_for_the_quality_check_to_flag():
    report = parse_report(settlement_csv(row(), row(currency="USD", transaction_id="T2")))
    assert report.header.currency == "EUR"
    assert set(report.frame["currency"]) == {"EUR", "USD"}


def refusal(data: bytes) -> str:
    with pytest.raises(ReportError) as caught:
        parse_report(data)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_refund_transaction_reports_are_refused_as_not_settlements(samples: Path):
    for path in sorted((samples / "smashpig_amazonpay").glob("*REFUND_DATA*.csv")):
        message = refusal(path.read_bytes())
        assert message == (
            "line 1: this is an Amazon Pay refund transaction report (REFUND_DATA), "
            "not a settlement report"
        )


def test_a_non_numeric_amount_names_line_and_column():
    bad = row(transaction_id="T2").replace('"10.00"', '"ten"', 1)
    message = refusal(settlement_csv(row(), bad))
    assert message == "line 8: TransactionAmount: expected a decimal amount, got 'ten'"


def test_an_amount_with_too_many_decimals_is_refused():
    message = refusal(settlement_csv(row(fees=("-0.295", "-0.30"))))
    assert message == "line 7: TransactionPercentageFee: '-0.295' has more than 2 decimals"


def test_an_unknown_currency_is_refused():
    assert refusal(settlement_csv(row(currency="ABC"))).startswith(
        "line 7: CurrencyCode: unknown currency 'ABC'"
    )


def test_a_bad_date_is_refused():
    message = refusal(settlement_csv(row(date="01.03.2024")))
    assert message.startswith("line 7: TransactionPostedDate: expected a date-time")


def test_rows_of_two_settlements_are_refused():
    message = refusal(settlement_csv(row(), row(settlement_id="111", transaction_id="T2")))
    assert (
        message
        == "line 8: SettlementId '111' differs from '5984862222': one report, one settlement"
    )


def test_a_missing_header_column_is_refused():
    data = settlement_csv(row()).replace(b'"SellerOrderId",', b"")
    assert refusal(data) == "line 6: header lacks column(s) SellerOrderId"


def test_a_short_row_is_refused():
    assert refusal(settlement_csv('"2024-03-01T11:10:34 -0700","5984862222"')) == (
        "line 7: expected 15 fields, found 2"
    )


def test_a_settlement_without_rows_is_refused():
    assert "no transaction rows" in refusal(settlement_csv())


def test_a_missing_period_is_refused():
    data = settlement_csv(row()).replace(b'"SettlementEndDate"', b'"SettlementClosed"')
    assert refusal(data) == "SettlementEndDate: expected a date-time, found none"


def test_bytes_that_are_not_utf8_are_refused():
    data = settlement_csv(row()).replace(b'"Shop"', b'"Sh\xf6p"')
    assert "not UTF-8" in refusal(data)

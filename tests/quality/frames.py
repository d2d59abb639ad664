"""Small canonical frames and reports built in code, with the contract's exact dtypes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from domain.money import Money
from domain.settlement.model import FRAME_COLUMNS, ParsedReport, ReportHeader

SETTLEMENT = "6166306752"
START = datetime(2011, 10, 21, 4, 17, 15, tzinfo=UTC)
END = datetime(2011, 11, 4, 4, 13, 55, tzinfo=UTC)

# One XML order item: (amount_group, amount_type, amount_minor).
ORDER_AMOUNTS: tuple[tuple[str, str, int], ...] = (
    ("ItemPrice", "Principal", 1699),
    ("ItemFees", "FBAPerUnitFulfillmentFee", -72),
    ("ItemFees", "FBAWeightBasedFee", -60),
    ("ItemFees", "Commission", -137),
)


def frame_of(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A canonical frame from row dicts; columns left out are missing (NA)."""
    data = {
        name: pd.Series([row.get(name) for row in rows], dtype=dtype)
        for name, dtype in FRAME_COLUMNS.items()
    }
    return pd.DataFrame(data)


def order_rows(orders: int = 3, *, currency: str = "GBP") -> list[dict[str, Any]]:
    """Rows of `orders` one-item XML orders plus one OtherTransaction without any ids."""
    rows: list[dict[str, Any]] = []
    for n in range(orders):
        order_id = f"026-{7335216 + n:07d}-7992369"
        for k, (group, kind, amount) in enumerate(ORDER_AMOUNTS):
            rows.append(
                {
                    "settlement_id": SETTLEMENT,
                    "report_format": "xml",
                    "transaction_kind": "order",
                    "transaction_type": "Order",
                    "amazon_order_id": order_id,
                    "merchant_order_id": order_id,
                    "transaction_id": f"D3BkSVR{n:02d}",
                    "posted_at": START + timedelta(hours=4 + n),
                    "amount_group": group,
                    "amount_type": kind,
                    "amount_minor": amount,
                    "currency": currency,
                    "sku": "71-SAMGT101-B2PE",
                    "item_id": f"0754743545933{n}",
                    "quantity": 1,
                    "source_line": 20 + 40 * n + 4 * k,
                }
            )
    rows.append(
        {
            "settlement_id": SETTLEMENT,
            "report_format": "xml",
            "transaction_kind": "other",
            "transaction_type": "Subscription Fee",
            "posted_at": END - timedelta(days=1),
            "amount_group": "Other",
            "amount_type": "Subscription Fee",
            "amount_minor": -2875,
            "currency": currency,
            "source_line": 6362,
        }
    )
    return rows


def xml_report(
    frame: pd.DataFrame, *, total_minor: int | None = None, currency: str = "GBP"
) -> ParsedReport:
    """An XML report whose stated total is the frame's sum unless given."""
    total = int(frame["amount_minor"].sum()) if total_minor is None else total_minor
    header = ReportHeader(
        settlement_id=SETTLEMENT,
        report_format="xml",
        currency=currency,
        period_start=START,
        period_end=END,
        deposit_date=END + timedelta(days=2),
        stated_total=Money.from_minor(total, currency),
    )
    return ParsedReport(header=header, frame=frame)


def fee_lines(lines: list[tuple[int, int, int, int, int]]) -> pd.DataFrame:
    """Amazon Pay CSV lines: (amount, percentage fee, fixed fee, total fee, net) in cents."""
    columns = ["amount_minor", "percentage_fee_minor", "fixed_fee_minor"]
    columns += ["total_fee_minor", "net_minor"]
    frame = pd.DataFrame(
        {c: pd.Series([line[i] for line in lines], dtype="int64") for i, c in enumerate(columns)}
    )
    frame.insert(0, "source_line", pd.Series(range(7, 7 + len(lines)), dtype="Int64"))
    frame.insert(
        1,
        "transaction_id",
        pd.array([f"P01-1488694-1234567-C{n:06d}" for n in range(len(lines))], dtype="string"),
    )
    frame.insert(2, "merchant_order_id", pd.array([None] * len(lines), dtype="string"))
    return frame


def csv_report(lines: list[tuple[int, int, int, int, int]]) -> ParsedReport:
    """An Amazon Pay CSV report: one Capture per line, its amount and fees as frame rows."""
    transactions = fee_lines(lines)
    rows: list[dict[str, Any]] = []
    for n, (amount, percentage, fixed, _total, _net) in enumerate(lines):
        for group, kind, value in (
            ("Transaction", "TransactionAmount", amount),
            ("Fee", "TransactionPercentageFee", percentage),
            ("Fee", "TransactionFixedFee", fixed),
        ):
            rows.append(
                {
                    "settlement_id": "5984862222",
                    "report_format": "amazon-pay-csv",
                    "transaction_kind": "order",
                    "transaction_type": "Capture",
                    "amazon_order_id": "P01-1234567-2138100",
                    "transaction_id": transactions["transaction_id"][n],
                    "merchant_reference_id": "87654321-0",
                    "posted_at": datetime(2015, 10, 1, 18, 10, 34, tzinfo=UTC),
                    "amount_group": group,
                    "amount_type": kind,
                    "amount_minor": value,
                    "currency": "USD",
                    "source_line": 7 + n,
                }
            )
    header = ReportHeader(
        settlement_id="5984862222",
        report_format="amazon-pay-csv",
        currency="USD",
        period_start=datetime(2015, 9, 30, 22, 0, 44, tzinfo=UTC),
        period_end=datetime(2015, 10, 1, 21, 59, 44, tzinfo=UTC),
    )
    return ParsedReport(header=header, frame=frame_of(rows), transactions=transactions)


def big_xml_report(rows: int, *, seed: int = 7) -> ParsedReport:
    """A clean XML-like report of about `rows` amount rows (orders of four rows), built fast."""
    orders = rows // len(ORDER_AMOUNTS)
    rng = np.random.default_rng(seed)
    per_row = len(ORDER_AMOUNTS)
    order_no = np.repeat(np.arange(orders), per_row)
    ids = pd.array(
        np.char.add("026-", np.char.zfill(order_no.astype(str), 7)).astype(object), dtype="string"
    )
    item_ids = pd.array(np.char.zfill(order_no.astype(str), 14).astype(object), dtype="string")
    groups = np.tile([g for g, _, _ in ORDER_AMOUNTS], orders).astype(object)
    kinds = np.tile([k for _, k, _ in ORDER_AMOUNTS], orders).astype(object)
    base = np.tile([a for _, _, a in ORDER_AMOUNTS], orders).astype("int64")
    amounts = base + np.where(base > 0, rng.integers(0, 5000, len(base)), 0)
    span = int((END - START).total_seconds())
    seconds = np.repeat(rng.integers(0, span, orders), per_row)
    n = len(order_no)
    frame = pd.DataFrame(
        {
            "settlement_id": pd.array([SETTLEMENT] * n, dtype="string"),
            "report_format": pd.array(["xml"] * n, dtype="string"),
            "transaction_kind": pd.array(["order"] * n, dtype="string"),
            "transaction_type": pd.array(["Order"] * n, dtype="string"),
            "amazon_order_id": ids,
            "merchant_order_id": ids,
            "transaction_id": pd.array(["D3BkSVRKR"] * n, dtype="string"),
            "merchant_reference_id": pd.array([None] * n, dtype="string"),
            "posted_at": pd.Series(pd.Timestamp(START) + pd.to_timedelta(seconds, unit="s")).astype(
                "datetime64[ns, UTC]"
            ),
            "amount_group": pd.array(groups, dtype="string"),
            "amount_type": pd.array(kinds, dtype="string"),
            "amount_minor": amounts,
            "currency": pd.array(["GBP"] * n, dtype="string"),
            "sku": pd.array(["71-SAMGT101-B2PE"] * n, dtype="string"),
            "item_id": item_ids,
            "quantity": pd.array(np.ones(n, dtype="int64"), dtype="Int64"),
            "source_line": pd.array(np.arange(20, 20 + 5 * n, 5), dtype="Int64"),
        }
    )
    return xml_report(frame)

"""The canonical settlement frame: one row per money amount of a report, whatever its format.

Every parser (XML, Amazon Pay CSV, later others) returns a `ParsedReport`: the header beside a
long pandas frame with exactly `FRAME_COLUMNS`. Money is integer minor units plus a currency
column; identifiers stay strings (item codes have leading zeros, settlement ids exceed 2**53).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from domain.money import Money

# Column name -> pandas dtype of the canonical frame.
FRAME_COLUMNS: dict[str, str] = {
    "settlement_id": "string",
    "report_format": "string",  # "xml" | "amazon-pay-csv"
    "transaction_kind": "string",  # one of TRANSACTION_KINDS
    # the report's own type text (Order, Capture, "Successful charge")
    "transaction_type": "string",
    # XML AmazonOrderID; CSV AmazonOrderReferenceId (= chargePermissionId)
    "amazon_order_id": "string",
    "merchant_order_id": "string",  # the ERP document number
    # CSV AmazonTransactionId (= charge or refund id); XML the element's id
    "transaction_id": "string",
    "merchant_reference_id": "string",  # CSV SellerReferenceId; XML MerchantAdjustmentItemID etc.
    "posted_at": "datetime64[ns, UTC]",
    "amount_group": "string",  # ItemPrice, ItemFees, Promotion, Other, Transaction, Fee, ...
    "amount_type": "string",  # Principal, Shipping, Commission, TransactionAmount, ...
    "amount_minor": "int64",
    "currency": "string",
    "sku": "string",
    "item_id": "string",  # OrderItemCode / AdjustmentItem id: makes amount rows unique per item
    "quantity": "Int64",
    "source_line": "Int64",  # line in the source file where the amount stands (for error messages)
}

# Rows per streamed chunk by default: memory follows the chunk, not the report, and per-chunk
# overheads (building a frame, one GX run) are spread over many rows.
DEFAULT_CHUNK_ROWS = 50_000

# Longest identifier a report may state for transaction_id, amazon_order_id, merchant_order_id
# and sku: the store keeps them (or matches them against) columns of 64 characters.
MAX_ID_CHARS = 64

# What a row is, for matching and booking. Parsers map the report's own vocabulary onto these.
TRANSACTION_KINDS: frozenset[str] = frozenset(
    {
        "order",  # XML Order, CSV Capture: money from the customer
        "refund",  # XML Adjustment/Refund, CSV Refund
        "chargeback",
        "guarantee_claim",  # A-to-z Guarantee Claim
        "transfer",  # payout to the seller's bank
        "reserve",  # reserve withheld or released
        "other",  # OtherTransaction, OtherFee, MiscEvent, and the newer kinds
    }
)

# Rows that must be unique within a report.
UNIQUE_KEY: tuple[str, ...] = (
    "settlement_id",
    "transaction_kind",
    "transaction_id",
    "merchant_order_id",
    "amount_group",
    "amount_type",
    "item_id",
)


@dataclass(frozen=True)
class ReportHeader:
    """What a report says about itself, beside its rows."""

    settlement_id: str
    report_format: str
    currency: str
    period_start: datetime  # tz-aware UTC
    period_end: datetime  # tz-aware UTC
    deposit_date: datetime | None = None
    stated_total: Money | None = None  # XML TotalAmount; the CSV states none
    # The stated total in minor units of its own currency, as the rows count theirs.
    stated_total_minor: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        minor = None if self.stated_total is None else self.stated_total.to_minor()
        object.__setattr__(self, "stated_total_minor", minor)


@dataclass
class ParsedReport:
    """A parsed report: header, canonical frame, and what the parser passed over."""

    header: ReportHeader
    frame: pd.DataFrame
    # CSV only: one row per CSV line with the stated fee columns, for the fee arithmetic check.
    transactions: pd.DataFrame | None = None
    skipped_elements: dict[str, int] = field(default_factory=dict)


@dataclass
class ReportChunk:
    """Consecutive rows of a report as parsers stream them: a canonical frame of whole
    transactions (XML) or lines (CSV), at least `chunk_rows` rows except the last chunk.

    The parsers yield one after another; the last one has `final` set, carries the complete
    `skipped_elements` and may be empty. A report's chunks concatenated are its ParsedReport.
    """

    header: ReportHeader
    frame: pd.DataFrame
    first_row: int  # position of the frame's first row in the whole report's frame
    transactions: pd.DataFrame | None = None  # CSV only, as in ParsedReport
    first_transaction: int = 0  # position of the first transaction line in the whole report
    final: bool = False
    skipped_elements: dict[str, int] = field(default_factory=dict)  # counted so far


class ReportError(ValueError):
    """An unreadable or unsafe report; the message is one clear line naming where and what."""


def empty_frame() -> pd.DataFrame:
    """A frame with the canonical columns and dtypes and no rows."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in FRAME_COLUMNS.items()})

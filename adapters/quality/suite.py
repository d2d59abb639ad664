"""The versioned expectation suite a settlement report must meet before anything is posted.

`settlement_report_v1` runs in parts, because GX validates one frame per suite and two
checks only exist for one format:

- ``rows``  on the canonical frame (every format); ``order_ids`` on two of its columns;
- ``total`` on the canonical frame when the header states a total (XML TotalAmount);
- ``fees``  on `ParsedReport.transactions` (the Amazon Pay CSV lines with their fee columns).

A report checked in chunks runs ``chunk_rows`` (``rows`` without the uniqueness of the row key)
on each chunk and decides uniqueness and the total over the whole report itself
(adapters.quality.chunked); ``unique`` is the uniqueness check alone, for odd frames.

Stable check names (what `CheckResult.failed_expectations` lists; never rename, add a new
version instead):

===================================  ==========================================================
columns_match_frame                  the frame has exactly FRAME_COLUMNS
<col>_not_null                       settlement_id, transaction_kind, currency, amount_minor,
                                     posted_at, source_line are never missing
settlement_id_is_header_settlement   every row belongs to the header's settlement
order_rows_have_amazon_order_id      order and refund rows carry the Amazon order id.
                                     merchant_order_id is NOT required: the real XML has an MFN
                                     Order without MerchantOrderID and the real Amazon Pay CSVs
                                     leave SellerOrderId empty on Capture rows; OtherTransaction,
                                     Transfer and Reserve rows have neither id.
amount_minor_is_int64                amounts are exact integer minor units (see below); GX
                                     also accepts the nullable Int64, whose gaps
                                     amount_minor_not_null reports
transaction_kind_is_known            transaction_kind is one of TRANSACTION_KINDS
currency_is_header_currency          every row is in the header's currency; with
                                     currency_not_null this is "exactly one currency, the
                                     header's"
rows_are_unique                      no two rows share UNIQUE_KEY (missing ids compare equal)
posted_at_within_period              period_start - tolerance <= posted_at <= period_end +
                                     tolerance (inclusive; see DEFAULT_POSTED_AT_TOLERANCE)
sum_equals_stated_total              sum(amount_minor) == stated total, exactly, in minor units
                                     (GX computes the int64 sum; the runner compares it as an
                                     int, since GX's own comparison goes through float)
fee_columns_present                  the transaction lines carry FEE_COLUMNS
fee_total_is_percentage_plus_fixed   total_fee = percentage_fee + fixed_fee, per line
net_is_amount_plus_fee               net = amount + total_fee, per line
===================================  ==========================================================

"No more decimals than the currency allows": the frame holds integer minor units, so excess
decimals cannot be represented in it. The rule is enforced where the decimal string is still
known, in the parsers (`adapters.settlement_formats.values.to_minor` refuses "100.5" JPY or
"1.005" EUR with a one-line ReportError naming line and field). The suite then guards the two
ways the rule could still be broken after parsing: `amount_minor_is_int64` (a float column could
carry fractions of a minor unit) and `sum_equals_stated_total` (amounts scaled with the wrong
number of decimals, e.g. JPY read as cents, no longer add up to the stated total, which is
converted with the currency's own minor unit).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from domain.settlement.model import FRAME_COLUMNS, TRANSACTION_KINDS, UNIQUE_KEY

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

SUITE_NAME = "settlement_report"
SUITE_VERSION = 1
SUITE_ID = f"{SUITE_NAME}_v{SUITE_VERSION}"

# Measured on every real sample (XML 2011: 164 posted dates; Amazon Pay CSV 2015 and 2018; the
# seven V1 flat files of 2025): 0 s of tolerance is needed. All rows lie inside [start, end], and
# rows posted exactly at StartDate occur (V1 50018/50034), so the bounds are inclusive. The
# default day of slack is for formats whose posted date carries only a day (flat-file V2
# `posted-date` 00:00 lies up to 24 h before a StartDate such as 22:07:18) and for the 1-second
# drift between chained periods. It stays far below a period (14 days), so a row that belongs to
# another settlement still fails. Pass timedelta(0) for the strict check.
DEFAULT_POSTED_AT_TOLERANCE = timedelta(days=1)

# The index name the runner gives the checked frames: the row's position in the frame handed in.
ROW = "_row"
# Derived columns the runner adds to the transaction lines for the fee arithmetic.
NEG_TOTAL_FEE = "_neg_total_fee_minor"
NEG_NET = "_neg_net_minor"

# Columns of ParsedReport.transactions the fee arithmetic needs (integer minor units).
FEE_COLUMNS: tuple[str, ...] = (
    "amount_minor",
    "percentage_fee_minor",
    "fixed_fee_minor",
    "total_fee_minor",
    "net_minor",
)

NOT_NULL_COLUMNS: tuple[str, ...] = (
    "settlement_id",
    "transaction_kind",
    "currency",
    "amount_minor",
    "posted_at",
    "source_line",
)

# Check name -> the columns whose values show what was wrong in an offending row.
VALUE_COLUMNS: dict[str, tuple[str, ...]] = {
    **{f"{column}_not_null": (column,) for column in NOT_NULL_COLUMNS},
    "settlement_id_is_header_settlement": ("settlement_id",),
    "order_rows_have_amazon_order_id": ("transaction_kind", "amazon_order_id"),
    "amount_minor_is_int64": (),
    "transaction_kind_is_known": ("transaction_kind",),
    "currency_is_header_currency": ("currency",),
    "rows_are_unique": UNIQUE_KEY,
    "posted_at_within_period": ("posted_at",),
    "fee_total_is_percentage_plus_fixed": (
        "percentage_fee_minor",
        "fixed_fee_minor",
        "total_fee_minor",
    ),
    "net_is_amount_plus_fee": ("amount_minor", "total_fee_minor", "net_minor"),
}

# Check name -> what should hold, in words; {placeholders} are the run's parameters.
EXPECTED: dict[str, str] = {
    "columns_match_frame": "exactly the canonical columns",
    **{f"{column}_not_null": "no missing value" for column in NOT_NULL_COLUMNS},
    "settlement_id_is_header_settlement": "settlement {settlement_id}",
    "order_rows_have_amazon_order_id": "an amazon_order_id on every order and refund row",
    "amount_minor_is_int64": "int64 minor units",
    "transaction_kind_is_known": "one of " + ", ".join(sorted(TRANSACTION_KINDS)),
    "currency_is_header_currency": "{currency} on every row",
    "rows_are_unique": "no duplicate of (" + ", ".join(UNIQUE_KEY) + ")",
    "posted_at_within_period": "{posted_at_min} .. {posted_at_max}",
    "sum_equals_stated_total": "{stated_total}",
    "fee_columns_present": "columns " + ", ".join(FEE_COLUMNS),
    "fee_total_is_percentage_plus_fixed": "total_fee_minor = percentage + fixed fee",
    "net_is_amount_plus_fee": "net_minor = amount_minor + total_fee_minor",
}

PARTS: tuple[str, ...] = ("rows", "order_ids", "total", "fees", "chunk_rows", "unique")
# The check the chunked runner decides over the whole report itself (adapters.quality.chunked).
REPORT_WIDE_ROW_CHECK = "rows_are_unique"


def _param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def row_expectations() -> list[Expectation]:
    """Expectations on the canonical frame; parameters: settlement_ids, currencies, period."""
    import great_expectations.expectations as gxe

    checks: list[Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=list(FRAME_COLUMNS),
            exact_match=True,
            meta={"check": "columns_match_frame"},
        ),
        *(
            gxe.ExpectColumnValuesToNotBeNull(column=c, meta={"check": f"{c}_not_null"})
            for c in NOT_NULL_COLUMNS
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="settlement_id",
            value_set=_param("settlement_ids"),
            meta={"check": "settlement_id_is_header_settlement"},
        ),
        gxe.ExpectColumnValuesToBeOfType(
            column="amount_minor", type_="int64", meta={"check": "amount_minor_is_int64"}
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="transaction_kind",
            value_set=sorted(TRANSACTION_KINDS),
            meta={"check": "transaction_kind_is_known"},
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="currency",
            value_set=_param("currencies"),
            meta={"check": "currency_is_header_currency"},
        ),
        # "never": a row whose ids are partly missing still takes part; pandas compares missing
        # values as equal, so two rows that differ only in missing ids are duplicates.
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=list(UNIQUE_KEY), ignore_row_if="never", meta={"check": "rows_are_unique"}
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="posted_at",
            min_value=_param("posted_at_min"),
            max_value=_param("posted_at_max"),
            meta={"check": "posted_at_within_period"},
        ),
    ]
    return checks


def order_id_expectations() -> list[Expectation]:
    """Order and refund rows name their Amazon order; run on two columns only, because GX
    filters a row condition with a copy of every column of the frame it is given."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    return [
        gxe.ExpectColumnValuesToNotBeNull(
            column="amazon_order_id",
            row_condition=Column("transaction_kind").is_in(["order", "refund"]),
            meta={"check": "order_rows_have_amazon_order_id"},
        ),
    ]


def total_expectations() -> list[Expectation]:
    """The stated-total check; parameter: stated_total_minor (an int, so the test is exact)."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnSumToBeBetween(
            column="amount_minor",
            min_value=_param("stated_total_minor"),
            max_value=_param("stated_total_minor"),
            meta={"check": "sum_equals_stated_total"},
        )
    ]


def fee_expectations() -> list[Expectation]:
    """Per-line fee arithmetic of the Amazon Pay CSV, as sums that must be zero."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=list(FEE_COLUMNS), exact_match=False, meta={"check": "fee_columns_present"}
        ),
        gxe.ExpectMulticolumnSumToEqual(
            column_list=["percentage_fee_minor", "fixed_fee_minor", NEG_TOTAL_FEE],
            sum_total=0,
            ignore_row_if="never",
            meta={"check": "fee_total_is_percentage_plus_fixed"},
        ),
        gxe.ExpectMulticolumnSumToEqual(
            column_list=["amount_minor", "total_fee_minor", NEG_NET],
            sum_total=0,
            ignore_row_if="never",
            meta={"check": "net_is_amount_plus_fee"},
        ),
    ]


def chunk_row_expectations() -> list[Expectation]:
    """The row expectations that hold chunk by chunk: all but the uniqueness of the row key."""
    return [c for c in row_expectations() if _check(c) != REPORT_WIDE_ROW_CHECK]


def unique_expectations() -> list[Expectation]:
    """The uniqueness of the row key alone (for a chunk that lacks key columns)."""
    return [c for c in row_expectations() if _check(c) == REPORT_WIDE_ROW_CHECK]


def _check(expectation: Expectation) -> str:
    return str((expectation.meta or {})["check"])


def expectations(part: str) -> list[Expectation]:
    """The expectations of one part of the suite, each tagged with its stable check name."""
    builders: dict[str, Any] = {
        "rows": row_expectations,
        "order_ids": order_id_expectations,
        "total": total_expectations,
        "fees": fee_expectations,
        "chunk_rows": chunk_row_expectations,
        "unique": unique_expectations,
    }
    result: list[Expectation] = builders[part]()
    return result

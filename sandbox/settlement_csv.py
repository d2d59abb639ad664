"""Amazon Pay settlement reports (CSV) built from the sandbox ledger (settlement-formats.md §5).

Layout: UTF-8 with BOM, LF endings, every field double-quoted; five preamble lines (line 1 and the
column header end in a comma, data rows do not); dates like `2015-10-01T11:10:34 -0700`.
One row per Capture (positive amount, negative fees) and per Refund (negative amount, no fees:
decided, the docs do not say whether fees are returned), then one Transfer row that nets the
settlement to zero (the payout). Fees: TotalTransactionFee = TransactionPercentageFee +
TransactionFixedFee, NetTransactionAmount = TransactionAmount + TotalTransactionFee; computed in
Decimal and rounded half-up to the currency's minor unit. Zero fees print as "0", as in the real
files.

Column decisions: AmazonTransactionId = chargeId / refundId, AmazonOrderReferenceId =
chargePermissionId (as the docs map v2 names); SellerOrderId and SellerReferenceId = the merchant
reference (the charge's merchantMetadata.merchantReferenceId, else the permission's).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.money import Money, money_sum
from sandbox.ledger import Ledger
from sandbox.state import Charge

COLUMNS = (
    "TransactionPostedDate",
    "SettlementId",
    "AmazonTransactionId",
    "SellerReferenceId",
    "TransactionType",
    "AmazonOrderReferenceId",
    "SellerOrderId",
    "StoreName",
    "CurrencyCode",
    "TransactionDescription",
    "TransactionAmount",
    "TransactionPercentageFee",
    "TransactionFixedFee",
    "TotalTransactionFee",
    "NetTransactionAmount",
)
TRANSFER_DESCRIPTION = "SellerPayments_DateRangeReport_transfer_accounting_ending_with_trace_id"


@dataclass(frozen=True)
class SettlementRow:
    """One money movement of a settlement."""

    posted_at: datetime
    transaction_type: str  # Capture | Refund | Transfer
    transaction_id: str
    order_reference_id: str
    merchant_reference: str
    store_name: str
    amount: Money
    percentage_fee: Money
    fixed_fee: Money
    description: str = ""

    @property
    def total_fee(self) -> Money:
        """Percentage plus fixed fee."""
        return self.percentage_fee + self.fixed_fee

    @property
    def net(self) -> Money:
        """Amount plus (negative) fees."""
        return self.amount + self.total_fee


def capture_fees(amount: Money, percent: Decimal, fixed: Decimal) -> tuple[Money, Money]:
    """The (negative) percentage and fixed fee of a capture."""
    percentage = Money.rounded(amount.amount * percent / 100, amount.currency)
    fixed_fee = Money.rounded(fixed, amount.currency)
    return Money(-percentage.amount, amount.currency), Money(-fixed_fee.amount, amount.currency)


def _metadata(ledger: Ledger, charge: Charge) -> dict[str, str]:
    permission = ledger.permissions[charge.charge_permission_id]
    return {**permission.merchant_metadata, **(charge.request.get("merchantMetadata") or {})}


def _capture_rows(
    ledger: Ledger,
    environment: str,
    start: datetime,
    end: datetime,
    fees: tuple[Decimal, Decimal],
    store_name: str,
) -> Iterator[SettlementRow]:
    for charge in ledger.charges.values():
        when, amount = charge.captured_at, charge.capture_amount
        if charge.environment != environment or when is None or amount is None:
            continue
        if start <= when < end:
            metadata = _metadata(ledger, charge)
            percentage, fixed = capture_fees(amount, *fees)
            yield SettlementRow(
                posted_at=when,
                transaction_type="Capture",
                transaction_id=charge.charge_id,
                order_reference_id=charge.charge_permission_id,
                merchant_reference=metadata.get("merchantReferenceId", ""),
                store_name=metadata.get("merchantStoreName", store_name),
                amount=amount,
                percentage_fee=percentage,
                fixed_fee=fixed,
            )


def _refund_rows(
    ledger: Ledger, environment: str, start: datetime, end: datetime, store_name: str
) -> Iterator[SettlementRow]:
    for refund in ledger.refunds.values():
        when = refund.refunded_at
        if refund.environment != environment or when is None or not start <= when < end:
            continue
        metadata = _metadata(ledger, ledger.charges[refund.charge_id])
        zero = Money.zero(refund.refund_amount.currency)
        yield SettlementRow(
            posted_at=when,
            transaction_type="Refund",
            transaction_id=refund.refund_id,
            order_reference_id=refund.charge_permission_id,
            merchant_reference=metadata.get("merchantReferenceId", ""),
            store_name=metadata.get("merchantStoreName", store_name),
            amount=-refund.refund_amount,
            percentage_fee=zero,
            fixed_fee=zero,
        )


def collect_rows(
    ledger: Ledger,
    environment: str,
    start: datetime,
    end: datetime,
    fees: tuple[Decimal, Decimal],
    store_name: str,
) -> dict[str, list[SettlementRow]]:
    """Captures and refunds posted in [start, end), by currency, in posting order."""
    rows: dict[str, list[SettlementRow]] = {}
    captures = _capture_rows(ledger, environment, start, end, fees, store_name)
    for row in itertools.chain(captures, _refund_rows(ledger, environment, start, end, store_name)):
        rows.setdefault(row.amount.currency, []).append(row)
    for currency_rows in rows.values():
        currency_rows.sort(key=lambda row: (row.posted_at, row.transaction_id))
    return rows


def transfer_row(rows: list[SettlementRow], end: datetime) -> SettlementRow:
    """The payout row that nets the settlement's rows to zero."""
    currency = rows[0].amount.currency
    payout = -money_sum([row.net for row in rows], currency)
    zero = Money.zero(currency)
    return SettlementRow(
        posted_at=end - timedelta(seconds=1),
        transaction_type="Transfer",
        transaction_id="",
        order_reference_id="",
        merchant_reference="",
        store_name="",
        amount=payout,
        percentage_fee=zero,
        fixed_fee=zero,
        description=TRANSFER_DESCRIPTION,
    )


def _date(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S %z")


def _fee(value: Money) -> str:
    return "0" if value.is_zero() else str(value.amount)


def _amount(value: Money) -> str:
    # Never "-0.00": a zero amount prints unsigned with the currency's decimals.
    return str(abs(value.amount)) if value.is_zero() else str(value.amount)


def render_csv(
    seller_id: str,
    settlement_id: str,
    start: datetime,
    end: datetime,
    rows: Iterable[SettlementRow],
    zone: ZoneInfo,
) -> bytes:
    """The settlement file's bytes (BOM, preamble, quoted rows, LF endings)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    out.write('"Amazon Payments Advanced",\n"Settlement Report",\n')
    writer.writerow(["SellerId", seller_id])
    writer.writerow(["SettlementStartDate", _date(start, zone)])
    # The real files end the window one second before the next one starts.
    writer.writerow(["SettlementEndDate", _date(end - timedelta(seconds=1), zone)])
    out.write(",".join(f'"{name}"' for name in COLUMNS) + ",\n")
    for row in rows:
        writer.writerow(
            [
                _date(row.posted_at, zone),
                settlement_id,
                row.transaction_id,
                row.merchant_reference,
                row.transaction_type,
                row.order_reference_id,
                row.merchant_reference,
                row.store_name,
                row.amount.currency,
                row.description,
                _amount(row.amount),
                _fee(row.percentage_fee),
                _fee(row.fixed_fee),
                _fee(row.total_fee),
                _amount(row.net),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")

"""Amazon's numeric rules: tolerances, maxima, time windows (amazon-pay-v2.md §3)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from domain.money import Money
from sandbox.errors import ApiError
from sandbox.ledger import Ledger
from sandbox.state import CHARGEABLE, ChargePermission

SYNC_CAPTURE_WINDOW = timedelta(days=7)
MAX_CHARGES_PER_PERMISSION = 25
TOLERANCE_RATE = Decimal("0.15")
TOLERANCE_CAP = {"EUR": Decimal(75), "GBP": Decimal(75), "USD": Decimal(75), "JPY": Decimal(8400)}
# Decided: other currencies get the 75 cap of EUR/GBP/USD.
DEFAULT_TOLERANCE_CAP = Decimal(75)
MAX_TRANSACTION = {"JPY": Decimal(10_000_000)}
DEFAULT_MAX_TRANSACTION = Decimal(150_000)


def tolerance(amount: Money) -> Money:
    """min(15 % of the amount, 75 EUR/GBP/USD or 8,400 JPY), rounded half-up to the minor unit."""
    cap = TOLERANCE_CAP.get(amount.currency, DEFAULT_TOLERANCE_CAP)
    return Money.rounded(min(amount.amount * TOLERANCE_RATE, cap), amount.currency)


def check_transaction_maximum(amount: Money, name: str) -> None:
    """150,000 (10,000,000 JPY) per charge or refund: 422 TransactionAmountExceeded above."""
    limit = MAX_TRANSACTION.get(amount.currency, DEFAULT_MAX_TRANSACTION)
    if amount.amount > limit:
        raise ApiError("TransactionAmountExceeded", f"{name} {amount} exceeds {limit}")


def check_currency(amount: Money, expected: str, name: str) -> None:
    """400 CurrencyMismatch unless the amount is in the object's currency."""
    if amount.currency != expected:
        raise ApiError("CurrencyMismatch", f"{name} is in {amount.currency}; expected {expected}")


def check_chargeable(ledger: Ledger, permission: ChargePermission, amount: Money) -> None:
    """A new charge needs a Chargeable permission, fewer than 25 charges and enough balance."""
    permission_id = permission.charge_permission_id
    check_currency(amount, permission.amount_limit.currency, "chargeAmount")
    check_transaction_maximum(amount, "chargeAmount")
    if permission.status.state != CHARGEABLE:
        raise ApiError(
            "InvalidChargePermissionStatus",
            f"{permission_id} is {permission.status.state}; charges need Chargeable",
        )
    if len(permission.charge_ids) >= MAX_CHARGES_PER_PERMISSION:
        raise ApiError(
            "TransactionCountExceeded",
            f"{permission_id} already has {MAX_CHARGES_PER_PERMISSION} charges (the maximum)",
        )
    balance = ledger.balance(permission)
    if amount > balance:
        raise ApiError(
            "TransactionAmountExceeded", f"chargeAmount {amount} exceeds amountBalance {balance}"
        )

"""Amazon's mutating calls as recorded intents: what is sent, exactly, and under which key.

A call is recorded with its request body before it is sent and repeated from that record after a
crash, never rebuilt from a document that changed since. Bodies carry amounts as Amazon's price
objects (the amount as a decimal string), so the record is the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.money import Money

MUTATING = (
    "create_charge",
    "capture_charge",
    "create_refund",
    "cancel_charge",
    "close_charge_permission",
)
KEYED = frozenset({"create_charge", "capture_charge", "create_refund"})
ORDER_CANCELLED = "order cancelled"
TOTAL_RAISED = "total raised"


@dataclass(frozen=True)
class Call:
    """A recorded mutating call of one document: what to send again if its outcome is missing."""

    id: int
    document_id: int
    number: str
    operation: str
    key: str | None
    request: dict[str, Any]


def price(money: Money) -> dict[str, str]:
    """Amazon's price object for an amount."""
    return {"amount": str(money.amount), "currencyCode": money.currency}


def money_of(price_object: dict[str, str]) -> Money:
    return Money(price_object["amount"], price_object["currencyCode"])


def create_charge_request(permission_id: str, amount: Money) -> dict[str, Any]:
    return {
        "chargePermissionId": permission_id,
        "chargeAmount": price(amount),
        "canHandlePendingAuthorization": True,
    }


def capture_request(charge_id: str, amount: Money) -> dict[str, Any]:
    return {"chargeId": charge_id, "captureAmount": price(amount)}


def refund_request(charge_id: str, amount: Money) -> dict[str, Any]:
    return {"chargeId": charge_id, "refundAmount": price(amount)}


def cancel_request(charge_id: str, reason: str) -> dict[str, Any]:
    return {"chargeId": charge_id, "cancellationReason": reason}


def close_request(permission_id: str, reason: str) -> dict[str, Any]:
    return {
        "chargePermissionId": permission_id,
        "closureReason": reason,
        "cancelPendingCharges": True,
    }

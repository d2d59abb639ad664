"""The objects Amazon keeps (charge permission, charge, refund) and their v2 JSON shapes.

States and reason codes as in amazon-pay-v2.md §3. The objects are plain mutable dataclasses
owned by the `Ledger`; only the ledger changes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.money import Money
from sandbox.clock import compact

# Charge permission states
CHARGEABLE = "Chargeable"
NON_CHARGEABLE = "NonChargeable"
CLOSED = "Closed"
# Charge states
AUTHORIZATION_INITIATED = "AuthorizationInitiated"
AUTHORIZED = "Authorized"
CAPTURE_INITIATED = "CaptureInitiated"
CAPTURED = "Captured"
CANCELED = "Canceled"
DECLINED = "Declined"
# Refund states
REFUND_INITIATED = "RefundInitiated"
REFUNDED = "Refunded"

DECLINE_REASONS = (
    "SoftDeclined",
    "HardDeclined",
    "AmazonRejected",
    "ProcessingFailure",
    "TransactionTimedOut",
)
REASON_DESCRIPTIONS: dict[str, str] = {
    "SoftDeclined": "The authorization was soft declined; the buyer may retry.",
    "HardDeclined": "The authorization was declined; ask the buyer for another payment method.",
    "AmazonRejected": "Amazon rejected the transaction.",
    "ProcessingFailure": "Amazon could not process the transaction; retry later.",
    "TransactionTimedOut": "The authorization was not processed in time.",
    "ExpiredUnused": "The authorization expired after 30 days without capture.",
    "MerchantCanceled": "The merchant canceled the charge.",
    "ChargePermissionCanceled": "The charge permission was closed with pending charges canceled.",
    "MerchantClosed": "The merchant closed the charge permission.",
    "AmazonClosed": "Amazon closed the charge permission.",
    "Expired": "The charge permission expired after 180 days.",
    "PaymentMethodInvalid": "The payment method was declined.",
}


@dataclass
class Status:
    """statusDetails of a charge or refund."""

    state: str
    reason_code: str | None
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The statusDetails object."""
        code = self.reason_code
        return {
            "state": self.state,
            "reasonCode": code,
            "reasonDescription": REASON_DESCRIPTIONS.get(code) if code else None,
            "lastUpdatedTimestamp": compact(self.updated_at),
        }


def price(value: Money | None) -> dict[str, str] | None:
    """A Money as Amazon's price object, amount as a string."""
    if value is None:
        return None
    return {"amount": str(value.amount), "currencyCode": value.currency}


@dataclass
class ChargePermission:
    """A buyer's consent to be charged up to a limit (one-time, 180 days, up to 25 charges)."""

    charge_permission_id: str
    environment: str  # "Sandbox" | "Live"
    amount_limit: Money
    buyer: dict[str, Any]
    payment_descriptor: str
    merchant_metadata: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    status: Status
    charge_ids: list[str] = field(default_factory=list)
    metadata_updated: bool = False

    def to_json(self, balance: Money) -> dict[str, Any]:
        """The v2 ChargePermission object."""
        code = self.status.reason_code
        reasons = (
            [{"reasonCode": code, "reasonDescription": REASON_DESCRIPTIONS.get(code)}]
            if code
            else None
        )
        return {
            "chargePermissionId": self.charge_permission_id,
            "chargePermissionReferenceId": None,
            "chargePermissionType": "OneTime",
            "buyer": self.buyer,
            "shippingAddress": None,
            "billingAddress": None,
            "paymentPreferences": [{"paymentDescriptor": self.payment_descriptor}],
            "merchantMetadata": self.merchant_metadata,
            "platformId": None,
            "limits": {"amountLimit": price(self.amount_limit), "amountBalance": price(balance)},
            "presentmentCurrency": self.amount_limit.currency,
            "recurringMetadata": None,
            "creationTimestamp": compact(self.created_at),
            "expirationTimestamp": compact(self.expires_at),
            "releaseEnvironment": self.environment,
            "statusDetails": {
                "state": self.status.state,
                "reasons": reasons,
                "lastUpdatedTimestamp": compact(self.status.updated_at),
            },
        }


@dataclass
class Charge:
    """An authorization (and its one capture) on a charge permission."""

    charge_id: str
    charge_permission_id: str
    environment: str
    charge_amount: Money
    created_at: datetime
    expires_at: datetime
    status: Status
    request: dict[str, Any]  # the optional fields echoed back (metadata, descriptor, channel...)
    capture_amount: Money | None = None
    authorized_at: datetime | None = None
    captured_at: datetime | None = None
    # (state, reason) the pending async step (auth, capture) resolves to.
    pending_outcome: tuple[str, str | None] | None = None
    refund_ids: list[str] = field(default_factory=list)

    def to_json(self, refunded: Money | None) -> dict[str, Any]:
        """The v2 Charge object."""
        return {
            "chargeId": self.charge_id,
            "chargePermissionId": self.charge_permission_id,
            "chargeAmount": price(self.charge_amount),
            "captureAmount": price(self.capture_amount),
            "refundedAmount": price(refunded),
            "convertedAmount": None,
            "conversionRate": None,
            "softDescriptor": self.request.get("softDescriptor"),
            "merchantMetadata": self.request.get("merchantMetadata"),
            "providerMetadata": self.request.get("providerMetadata"),
            "platformId": self.request.get("platformId"),
            "chargeInitiator": self.request.get("chargeInitiator"),
            "channel": self.request.get("channel"),
            "webCheckoutDetails": None,
            "statusDetails": self.status.to_json(),
            "creationTimestamp": compact(self.created_at),
            "expirationTimestamp": compact(self.expires_at),
            "releaseEnvironment": self.environment,
        }


@dataclass
class Refund:
    """Money given back against a captured charge."""

    refund_id: str
    charge_id: str
    charge_permission_id: str
    environment: str
    refund_amount: Money
    soft_descriptor: str | None
    created_at: datetime
    status: Status
    refunded_at: datetime | None = None
    pending_outcome: tuple[str, str | None] | None = None

    def to_json(self) -> dict[str, Any]:
        """The v2 Refund object."""
        return {
            "refundId": self.refund_id,
            "chargeId": self.charge_id,
            "refundAmount": price(self.refund_amount),
            "softDescriptor": self.soft_descriptor,
            "creationTimestamp": compact(self.created_at),
            "statusDetails": self.status.to_json(),
            "releaseEnvironment": self.environment,
        }

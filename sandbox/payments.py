"""The payment operations of the v2 API and their rules (amazon-pay-v2.md §2, §3).

Decisions where the docs are silent:
- Capture amount must be <= the charge's chargeAmount (no over-capture on a charge; the 15 %
  tolerance applies to refunds and, as in real payloads, to the permission's amountLimit).
- A checkout's amountLimit is the order amount plus min(15 %, 75 EUR/GBP/USD, 8,400 JPY), so a
  higher document total can be re-authorized on the same permission; the balance counts open
  authorizations as well as captures.
- Capture after more than 7 days of authorization is asynchronous (CaptureInitiated).
- Closing an already Closed permission answers 200 and changes nothing but pending charges.
- Update Charge Permission may change merchantMetadata once (ChargePermissionNotModifiable after).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.money import Money
from sandbox.errors import ApiError
from sandbox.ledger import AUTHORIZATION_LIFETIME, PERMISSION_LIFETIME, Ledger
from sandbox.payloads import (
    check_fields,
    optional_bool,
    optional_str,
    parse_metadata,
    parse_price,
    require,
    require_str,
)
from sandbox.rules import (
    SYNC_CAPTURE_WINDOW,
    check_chargeable,
    check_currency,
    check_transaction_maximum,
    tolerance,
)
from sandbox.simulation import card_answer_delay, card_later_decline, card_simulation
from sandbox.state import (
    AUTHORIZATION_INITIATED,
    AUTHORIZED,
    CANCELED,
    CAPTURED,
    CHARGEABLE,
    CLOSED,
    DECLINE_REASONS,
    DECLINED,
    REFUNDED,
    Charge,
    ChargePermission,
    Refund,
    Status,
)

CREATE_CHARGE_FIELDS = (
    "chargePermissionId",
    "chargeAmount",
    "captureNow",
    "softDescriptor",
    "canHandlePendingAuthorization",
    "merchantMetadata",
    "providerMetadata",
    "platformId",
    "chargeInitiator",
    "channel",
    "webCheckoutDetails",
)
Answer = tuple[int, dict[str, Any]]


class Payments:
    """Charge permission, charge and refund operations on one ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def create_checkout(
        self, environment: str, amount: Money, buyer: dict[str, Any], now: datetime, **extra: Any
    ) -> ChargePermission:
        """A Chargeable one-time permission, as a completed checkout leaves it (admin only)."""
        permission_id = self.ledger.new_permission_id(environment)
        permission = ChargePermission(
            charge_permission_id=permission_id,
            environment=environment,
            amount_limit=amount + tolerance(amount),
            buyer=buyer,
            payment_descriptor=extra.get("payment_descriptor") or "Visa ****1111",
            merchant_metadata=extra.get("merchant_metadata") or {},
            created_at=now,
            expires_at=now + PERMISSION_LIFETIME,
            status=Status(CHARGEABLE, None, now),
        )
        self.ledger.add_permission(permission)
        return permission

    def get_charge_permission(self, environment: str, permission_id: str) -> Answer:
        """Get Charge Permission."""
        return 200, self.ledger.permission_json(self.ledger.permission(permission_id, environment))

    def update_charge_permission(
        self, environment: str, permission_id: str, body: dict[str, Any]
    ) -> Answer:
        """Update Charge Permission: merchantMetadata, once."""
        check_fields(body, ("merchantMetadata", "recurringMetadata"))
        permission = self.ledger.permission(permission_id, environment)
        if permission.status.state == CLOSED:
            raise ApiError("InvalidChargePermissionStatus", f"{permission_id} is Closed")
        if body.get("recurringMetadata") is not None:
            raise ApiError(
                "InvalidParameterValue", "recurringMetadata needs a Recurring permission"
            )
        metadata = parse_metadata(body.get("merchantMetadata"))
        if metadata:
            merged = {**permission.merchant_metadata, **metadata}
            if merged != permission.merchant_metadata:
                if permission.metadata_updated:
                    raise ApiError(
                        "ChargePermissionNotModifiable",
                        "merchantMetadata of a charge permission can be updated only once",
                    )
                permission.merchant_metadata = merged
                permission.metadata_updated = True
        return 200, self.ledger.permission_json(permission)

    def close_charge_permission(
        self, environment: str, permission_id: str, body: dict[str, Any], now: datetime
    ) -> Answer:
        """Close Charge Permission, optionally canceling its pending charges."""
        check_fields(body, ("closureReason", "cancelPendingCharges"))
        optional_str(body, "closureReason", 255)
        cancel_pending = optional_bool(body, "cancelPendingCharges", False)
        permission = self.ledger.permission(permission_id, environment)
        if permission.status.state != CLOSED:
            self.ledger.set_status(permission, CLOSED, "MerchantClosed", now)
        if cancel_pending:
            for charge_id in permission.charge_ids:
                charge = self.ledger.charges[charge_id]
                if charge.status.state in (AUTHORIZATION_INITIATED, AUTHORIZED):
                    charge.pending_outcome = None
                    self.ledger.set_status(charge, CANCELED, "ChargePermissionCanceled", now)
        return 200, self.ledger.permission_json(permission)

    def create_charge(
        self, environment: str, body: dict[str, Any], now: datetime, simulation: str | None
    ) -> Answer:
        """Create Charge: Authorized now, or AuthorizationInitiated when pending is allowed."""
        check_fields(body, CREATE_CHARGE_FIELDS)
        permission_id = require_str(body, "chargePermissionId")
        amount = parse_price(require(body, "chargeAmount"), "chargeAmount")
        capture_now = optional_bool(body, "captureNow", False)
        pending_ok = optional_bool(body, "canHandlePendingAuthorization", False)
        descriptor = optional_str(body, "softDescriptor", 16)
        if descriptor and not capture_now:
            raise ApiError("InvalidParameterCombination", "softDescriptor needs captureNow=true")
        metadata = parse_metadata(body.get("merchantMetadata"))
        permission = self.ledger.permission(permission_id, environment)
        check_chargeable(self.ledger, permission, amount)
        if simulation == "AuthorizationInitiated" and not pending_ok:
            raise ApiError(
                "InvalidSandboxSimulationSpecified",
                "AuthorizationInitiated needs canHandlePendingAuthorization=true",
            )
        simulation = simulation or card_simulation(permission, pending_ok)
        if simulation in DECLINE_REASONS and not pending_ok:
            self._sync_decline(permission, simulation or "", now)
        charge = Charge(
            charge_id=self.ledger.new_charge_id(permission_id),
            charge_permission_id=permission_id,
            environment=environment,
            charge_amount=amount,
            created_at=now,
            expires_at=now + AUTHORIZATION_LIFETIME,
            status=Status(AUTHORIZATION_INITIATED, None, now),
            request={**body, "merchantMetadata": metadata},
        )
        self.ledger.add_charge(charge)
        if pending_ok and simulation:
            outcome = (AUTHORIZED, None) if simulation == AUTHORIZATION_INITIATED else None
            self.ledger.start_authorization(
                charge, outcome or (DECLINED, simulation), card_answer_delay(permission)
            )
        else:
            self.ledger.authorize(charge, now)
        return 201, self.ledger.charge_json(charge)

    def _sync_decline(self, permission: ChargePermission, code: str, now: datetime) -> None:
        if code in ("HardDeclined", "AmazonRejected") and permission.status.state == CHARGEABLE:
            self.ledger.set_status(permission, "NonChargeable", "PaymentMethodInvalid", now)
        raise ApiError(code, f"the authorization was declined ({code})")

    def get_charge(self, environment: str, charge_id: str) -> Answer:
        """Get Charge."""
        return 200, self.ledger.charge_json(self.ledger.charge(charge_id, environment))

    def capture_charge(
        self,
        environment: str,
        charge_id: str,
        body: dict[str, Any],
        now: datetime,
        simulation: str | None,
    ) -> Answer:
        """Capture Charge: Captured, or CaptureInitiated after 7 days or when simulated."""
        check_fields(body, ("captureAmount", "softDescriptor"))
        amount = parse_price(require(body, "captureAmount"), "captureAmount")
        descriptor = optional_str(body, "softDescriptor", 16)
        charge = self.ledger.charge(charge_id, environment)
        check_currency(amount, charge.charge_amount.currency, "captureAmount")
        if charge.status.state != AUTHORIZED or charge.authorized_at is None:
            raise ApiError(
                "InvalidChargeStatus",
                f"{charge_id} is {charge.status.state}; only Authorized charges can be captured",
            )
        if amount > charge.charge_amount:
            raise ApiError(
                "TransactionAmountExceeded",
                f"captureAmount {amount} exceeds chargeAmount {charge.charge_amount}",
            )
        if descriptor:
            charge.request["softDescriptor"] = descriptor
        late = now - charge.authorized_at > SYNC_CAPTURE_WINDOW
        permission = self.ledger.permission(charge.charge_permission_id, environment)
        simulation = simulation or card_later_decline(permission, "Capture Charge")
        if simulation or late:
            declined = simulation in ("AmazonRejected", "ProcessingFailure")
            outcome = (DECLINED, simulation) if declined else (CAPTURED, None)
            self.ledger.start_capture(charge, amount, outcome, now)
        else:
            self.ledger.capture(charge, amount, now)
        return 200, self.ledger.charge_json(charge)

    def cancel_charge(
        self, environment: str, charge_id: str, body: dict[str, Any], now: datetime
    ) -> Answer:
        """Cancel Charge: only before capture starts."""
        check_fields(body, ("cancellationReason",))
        optional_str(body, "cancellationReason", 255)
        charge = self.ledger.charge(charge_id, environment)
        if charge.status.state not in (AUTHORIZATION_INITIATED, AUTHORIZED):
            raise ApiError(
                "InvalidChargeStatus", f"{charge_id} is {charge.status.state}; cannot cancel"
            )
        charge.pending_outcome = None
        self.ledger.set_status(charge, CANCELED, "MerchantCanceled", now)
        return 200, self.ledger.charge_json(charge)

    def create_refund(
        self, environment: str, body: dict[str, Any], now: datetime, simulation: str | None
    ) -> Answer:
        """Create Refund: RefundInitiated; total refunds <= capture + tolerance."""
        check_fields(body, ("chargeId", "refundAmount", "softDescriptor"))
        charge_id = require_str(body, "chargeId")
        amount = parse_price(require(body, "refundAmount"), "refundAmount")
        descriptor = optional_str(body, "softDescriptor", 16)
        charge = self.ledger.charge(charge_id, environment)
        check_currency(amount, charge.charge_amount.currency, "refundAmount")
        check_transaction_maximum(amount, "refundAmount")
        if charge.status.state != CAPTURED or charge.capture_amount is None:
            raise ApiError(
                "InvalidChargeStatus",
                f"{charge_id} is {charge.status.state}; refunds need Captured",
            )
        ceiling = charge.capture_amount + tolerance(charge.capture_amount)
        already = self.ledger.refunded(charge, include_pending=True) or Money.zero(amount.currency)
        if already + amount > ceiling:
            raise ApiError(
                "TransactionAmountExceeded",
                f"refunds would total {already + amount}; at most {ceiling} "
                f"(capture {charge.capture_amount} + min(15 %, cap))",
            )
        refund = Refund(
            refund_id=self.ledger.new_refund_id(charge.charge_permission_id),
            charge_id=charge_id,
            charge_permission_id=charge.charge_permission_id,
            environment=environment,
            refund_amount=amount,
            soft_descriptor=descriptor,
            created_at=now,
            status=Status("RefundInitiated", None, now),
        )
        permission = self.ledger.permission(charge.charge_permission_id, environment)
        simulation = simulation or card_later_decline(permission, "Create Refund")
        reason = "AmazonRejected" if simulation == "RefundDeclined" else simulation
        self.ledger.add_refund(refund, (DECLINED, reason) if reason else (REFUNDED, None))
        return 201, refund.to_json()

    def get_refund(self, environment: str, refund_id: str) -> Answer:
        """Get Refund."""
        return 200, self.ledger.refund(refund_id, environment).to_json()

"""Charge Permission, Charge and Refund operations of the Amazon Pay client.

Every POST takes a caller-given idempotency key (<= 32 of `A-Za-z0-9_-`, checked before sending)
that is reused unchanged on each retry; every call takes an optional sandbox `simulation_code`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.amazon_pay.endpoints import path_segment
from adapters.amazon_pay.models import Charge, ChargePermission, Refund, price_json
from adapters.amazon_pay.session import ApiSession
from adapters.amazon_pay.throttle import Operation
from domain.money import Money


def _soft_descriptor(text: str | None) -> str | None:
    if text is not None and not 0 < len(text.encode()) <= 16:
        raise ValueError(f"soft descriptor must be 1-16 bytes, got {text!r}")
    return text


def _fields(**fields: Any) -> dict[str, Any]:
    """The body fields that are set (Amazon wants them absent rather than null)."""
    return {name: value for name, value in fields.items() if value is not None}


def _plain(mapping: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(mapping) if mapping is not None else None


class PaymentsApi:
    """Operations on Charge Permissions, Charges and Refunds."""

    _session: ApiSession

    def get_charge_permission(
        self, charge_permission_id: str, *, simulation_code: str | None = None
    ) -> ChargePermission:
        """Get Charge Permission."""
        cp = path_segment("charge_permission_id", charge_permission_id)
        resource = f"/chargePermissions/{cp}"
        return self._session.call(
            ChargePermission, Operation.GET_CHARGE_PERMISSION, "GET", resource,
            simulation_code=simulation_code,
        )  # fmt: skip

    def update_charge_permission(
        self,
        charge_permission_id: str,
        *,
        merchant_metadata: Mapping[str, Any] | None = None,
        recurring_metadata: Mapping[str, Any] | None = None,
        simulation_code: str | None = None,
    ) -> ChargePermission:
        """Update Charge Permission (Amazon lets merchantMetadata change once)."""
        cp = path_segment("charge_permission_id", charge_permission_id)
        body = _fields(
            merchantMetadata=_plain(merchant_metadata),
            recurringMetadata=_plain(recurring_metadata),
        )
        return self._session.call(
            ChargePermission, Operation.UPDATE_CHARGE_PERMISSION, "PATCH",
            f"/chargePermissions/{cp}", body=body, simulation_code=simulation_code,
        )  # fmt: skip

    def close_charge_permission(
        self,
        charge_permission_id: str,
        *,
        closure_reason: str | None = None,
        cancel_pending_charges: bool = False,
        simulation_code: str | None = None,
    ) -> ChargePermission:
        """Close Charge Permission (DELETE with a JSON body)."""
        cp = path_segment("charge_permission_id", charge_permission_id)
        body = _fields(closureReason=closure_reason, cancelPendingCharges=cancel_pending_charges)
        return self._session.call(
            ChargePermission, Operation.CLOSE_CHARGE_PERMISSION, "DELETE",
            f"/chargePermissions/{cp}/close", body=body, simulation_code=simulation_code,
        )  # fmt: skip

    def create_charge(
        self,
        *,
        charge_permission_id: str,
        charge_amount: Money,
        idempotency_key: str,
        capture_now: bool = False,
        can_handle_pending_authorization: bool = False,
        soft_descriptor: str | None = None,
        merchant_metadata: Mapping[str, Any] | None = None,
        simulation_code: str | None = None,
    ) -> Charge:
        """Create Charge: authorize (and with `capture_now` capture) on a Charge Permission."""
        body = _fields(
            chargePermissionId=path_segment("charge_permission_id", charge_permission_id),
            chargeAmount=price_json(charge_amount),
            captureNow=capture_now,
            canHandlePendingAuthorization=can_handle_pending_authorization,
            softDescriptor=_soft_descriptor(soft_descriptor),
            merchantMetadata=_plain(merchant_metadata),
        )
        return self._session.call(
            Charge, Operation.CREATE_CHARGE, "POST", "/charges", body=body,
            idempotency_key=idempotency_key, simulation_code=simulation_code,
        )  # fmt: skip

    def get_charge(self, charge_id: str, *, simulation_code: str | None = None) -> Charge:
        """Get Charge."""
        resource = f"/charges/{path_segment('charge_id', charge_id)}"
        return self._session.call(
            Charge, Operation.GET_CHARGE, "GET", resource, simulation_code=simulation_code
        )

    def capture_charge(
        self,
        charge_id: str,
        *,
        capture_amount: Money,
        idempotency_key: str,
        soft_descriptor: str | None = None,
        simulation_code: str | None = None,
    ) -> Charge:
        """Capture Charge."""
        resource = f"/charges/{path_segment('charge_id', charge_id)}/capture"
        body = _fields(
            captureAmount=price_json(capture_amount),
            softDescriptor=_soft_descriptor(soft_descriptor),
        )
        return self._session.call(
            Charge, Operation.CAPTURE_CHARGE, "POST", resource, body=body,
            idempotency_key=idempotency_key, simulation_code=simulation_code,
        )  # fmt: skip

    def cancel_charge(
        self,
        charge_id: str,
        *,
        cancellation_reason: str | None = None,
        simulation_code: str | None = None,
    ) -> Charge:
        """Cancel Charge (DELETE with a JSON body)."""
        resource = f"/charges/{path_segment('charge_id', charge_id)}/cancel"
        return self._session.call(
            Charge, Operation.CANCEL_CHARGE, "DELETE", resource,
            body=_fields(cancellationReason=cancellation_reason), simulation_code=simulation_code,
        )  # fmt: skip

    def create_refund(
        self,
        *,
        charge_id: str,
        refund_amount: Money,
        idempotency_key: str,
        soft_descriptor: str | None = None,
        simulation_code: str | None = None,
    ) -> Refund:
        """Create Refund against a captured Charge (asynchronous: RefundInitiated first)."""
        body = _fields(
            chargeId=path_segment("charge_id", charge_id),
            refundAmount=price_json(refund_amount),
            softDescriptor=_soft_descriptor(soft_descriptor),
        )
        return self._session.call(
            Refund, Operation.CREATE_REFUND, "POST", "/refunds", body=body,
            idempotency_key=idempotency_key, simulation_code=simulation_code,
        )  # fmt: skip

    def get_refund(self, refund_id: str, *, simulation_code: str | None = None) -> Refund:
        """Get Refund."""
        resource = f"/refunds/{path_segment('refund_id', refund_id)}"
        return self._session.call(
            Refund, Operation.GET_REFUND, "GET", resource, simulation_code=simulation_code
        )

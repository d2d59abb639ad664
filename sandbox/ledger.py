"""The ledger: every charge permission, charge and refund, and the transitions that are due.

All state changes go through `Ledger.set_status`, which stamps the time and tells the listeners
(the IPN notifier). Time-driven transitions (async authorization/capture/refund outcomes,
30-day authorization expiry, 180-day permission expiry) are scheduled on a heap and applied by
`tick(now)` in due order, each stamped with its own due time, so advancing the clock by months
replays them in the order Amazon would have made them.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.money import Money
from sandbox.errors import ApiError
from sandbox.state import (
    AUTHORIZATION_INITIATED,
    AUTHORIZED,
    CANCELED,
    CAPTURE_INITIATED,
    CAPTURED,
    CHARGEABLE,
    CLOSED,
    DECLINED,
    NON_CHARGEABLE,
    REFUND_INITIATED,
    REFUNDED,
    Charge,
    ChargePermission,
    Refund,
    Status,
)

AUTHORIZATION_LIFETIME = timedelta(days=30)
PERMISSION_LIFETIME = timedelta(days=180)
OPEN_CHARGE_STATES = (AUTHORIZATION_INITIATED, AUTHORIZED)
# Declines that also make the buyer's payment method unusable on the permission.
METHOD_DECLINES = ("HardDeclined", "AmazonRejected")

Tracked = ChargePermission | Charge | Refund


@dataclass(frozen=True)
class Change:
    """One state change, as the IPN notifier needs it."""

    object_type: str  # CHARGE_PERMISSION | CHARGE | REFUND
    object_id: str
    charge_permission_id: str
    environment: str
    state: str
    reason_code: str | None
    at: datetime


def _object_type(obj: Tracked) -> tuple[str, str, str]:
    if isinstance(obj, ChargePermission):
        return "CHARGE_PERMISSION", obj.charge_permission_id, obj.charge_permission_id
    if isinstance(obj, Charge):
        return "CHARGE", obj.charge_id, obj.charge_permission_id
    return "REFUND", obj.refund_id, obj.charge_permission_id


class Ledger:
    """Objects by id, their money views and the scheduled transitions."""

    def __init__(self, seed: int, async_delay: timedelta) -> None:
        self.async_delay = async_delay
        self.permissions: dict[str, ChargePermission] = {}
        self.charges: dict[str, Charge] = {}
        self.refunds: dict[str, Refund] = {}
        self.listeners: list[Callable[[Change], None]] = []
        self.lock = threading.RLock()
        self._random = random.Random(seed)  # noqa: S311 - reproducible ids, not secrets
        self._events: list[tuple[datetime, int, str, str]] = []
        self._sequence = itertools.count()

    # ---- identifiers -------------------------------------------------------------------------

    def _digits(self, count: int) -> str:
        return "".join(self._random.choice("0123456789") for _ in range(count))

    def _unique(self, make: Callable[[], str], taken: dict[str, Any]) -> str:
        while (candidate := make()) in taken:
            pass
        return candidate

    def new_permission_id(self, environment: str) -> str:
        """`S01-1234567-1234567` in the sandbox environment, `P01-...` in live."""
        prefix = "S01" if environment == "Sandbox" else "P01"
        return self._unique(
            lambda: f"{prefix}-{self._digits(7)}-{self._digits(7)}", self.permissions
        )

    def new_charge_id(self, permission_id: str) -> str:
        """`<permission>-C123456`."""
        return self._unique(lambda: f"{permission_id}-C{self._digits(6)}", self.charges)

    def new_refund_id(self, permission_id: str) -> str:
        """`<permission>-R123456`."""
        return self._unique(lambda: f"{permission_id}-R{self._digits(6)}", self.refunds)

    # ---- lookups (objects are visible only in their own environment) ---------------------------

    def permission(self, permission_id: str, environment: str) -> ChargePermission:
        """The charge permission of an id, or 404 ResourceNotFound."""
        found = self.permissions.get(permission_id)
        if found is None or found.environment != environment:
            raise ApiError("ResourceNotFound", f"charge permission {permission_id} not found")
        return found

    def charge(self, charge_id: str, environment: str) -> Charge:
        """The charge of an id, or 404 ResourceNotFound."""
        found = self.charges.get(charge_id)
        if found is None or found.environment != environment:
            raise ApiError("ResourceNotFound", f"charge {charge_id} not found")
        return found

    def refund(self, refund_id: str, environment: str) -> Refund:
        """The refund of an id, or 404 ResourceNotFound."""
        found = self.refunds.get(refund_id)
        if found is None or found.environment != environment:
            raise ApiError("ResourceNotFound", f"refund {refund_id} not found")
        return found

    # ---- money views ---------------------------------------------------------------------------

    def balance(self, permission: ChargePermission) -> Money:
        """amountLimit minus what is captured, being captured or held by open authorizations."""
        used = Money.zero(permission.amount_limit.currency)
        for charge_id in permission.charge_ids:
            charge = self.charges[charge_id]
            if charge.status.state in OPEN_CHARGE_STATES:
                used = used + charge.charge_amount
            elif (
                charge.status.state in (CAPTURE_INITIATED, CAPTURED)
                and charge.capture_amount is not None
            ):
                used = used + charge.capture_amount
        remaining = permission.amount_limit - used
        return remaining if remaining.amount > 0 else Money.zero(remaining.currency)

    def refunded(self, charge: Charge, *, include_pending: bool = False) -> Money | None:
        """Refunded total of a charge (None before capture, as Amazon shows null)."""
        if charge.capture_amount is None or charge.status.state != CAPTURED:
            return None
        states = (REFUNDED, REFUND_INITIATED) if include_pending else (REFUNDED,)
        total = Money.zero(charge.charge_amount.currency)
        for refund_id in charge.refund_ids:
            refund = self.refunds[refund_id]
            if refund.status.state in states:
                total = total + refund.refund_amount
        return total

    def permission_json(self, permission: ChargePermission) -> dict[str, Any]:
        """The v2 object of a permission, with its current balance."""
        return permission.to_json(self.balance(permission))

    def charge_json(self, charge: Charge) -> dict[str, Any]:
        """The v2 object of a charge, with its refunded total."""
        return charge.to_json(self.refunded(charge))

    # ---- state changes -------------------------------------------------------------------------

    def set_status(self, obj: Tracked, state: str, reason: str | None, at: datetime) -> None:
        """Change an object's state and tell the listeners."""
        obj.status = Status(state, reason, at)
        object_type, object_id, permission_id = _object_type(obj)
        change = Change(object_type, object_id, permission_id, obj.environment, state, reason, at)
        for listener in self.listeners:
            listener(change)

    def schedule(self, at: datetime, kind: str, object_id: str) -> None:
        """Apply transition `kind` to an object once the clock reaches `at`."""
        heapq.heappush(self._events, (at, next(self._sequence), kind, object_id))

    def tick(self, now: datetime) -> int:
        """Apply every transition due by `now`, in due order; return how many were applied."""
        applied = 0
        with self.lock:
            while self._events and self._events[0][0] <= now:
                at, _, kind, object_id = heapq.heappop(self._events)
                applied += self._apply(kind, object_id, at)
        return applied

    def _apply(self, kind: str, object_id: str, at: datetime) -> int:
        if kind == "permission-expiry":
            permission = self.permissions[object_id]
            if permission.status.state == CLOSED:
                return 0
            self.set_status(permission, CLOSED, "Expired", at)
            return 1
        if kind == "refund":
            refund = self.refunds[object_id]
            if refund.status.state != REFUND_INITIATED or refund.pending_outcome is None:
                return 0
            state, reason = refund.pending_outcome
            refund.pending_outcome = None
            refund.refunded_at = at if state == REFUNDED else None
            self.set_status(refund, state, reason, at)
            return 1
        charge = self.charges[object_id]
        if kind == "authorization" and charge.status.state == AUTHORIZATION_INITIATED:
            state, reason = charge.pending_outcome or (AUTHORIZED, None)
            charge.pending_outcome = None
            if state == AUTHORIZED:
                self.authorize(charge, at)
            else:
                self.decline(charge, reason or "ProcessingFailure", at)
            return 1
        if kind == "capture" and charge.status.state == CAPTURE_INITIATED:
            state, reason = charge.pending_outcome or (CAPTURED, None)
            charge.pending_outcome = None
            if state == CAPTURED:
                self.capture(charge, charge.capture_amount or charge.charge_amount, at)
            else:
                self.decline(charge, reason or "ProcessingFailure", at)
            return 1
        if kind == "expiry" and charge.status.state == AUTHORIZED:
            self.set_status(charge, CANCELED, "ExpiredUnused", at)
            return 1
        return 0

    # ---- transitions used by the operations ----------------------------------------------------

    def add_permission(self, permission: ChargePermission) -> None:
        """Register a new permission (Chargeable) and its 180-day expiry."""
        self.permissions[permission.charge_permission_id] = permission
        self.schedule(permission.expires_at, "permission-expiry", permission.charge_permission_id)
        self.set_status(permission, CHARGEABLE, None, permission.created_at)

    def add_charge(self, charge: Charge) -> None:
        """Register a new charge on its permission and its 30-day expiry."""
        self.charges[charge.charge_id] = charge
        self.permissions[charge.charge_permission_id].charge_ids.append(charge.charge_id)
        self.schedule(charge.expires_at, "expiry", charge.charge_id)

    def start_authorization(
        self, charge: Charge, outcome: tuple[str, str | None], at_least: timedelta | None = None
    ) -> None:
        """AuthorizationInitiated now; the outcome applies after the async delay (or longer)."""
        charge.pending_outcome = outcome
        self.set_status(charge, AUTHORIZATION_INITIATED, None, charge.created_at)
        delay = max(self.async_delay, at_least or timedelta(0))
        self.schedule(charge.created_at + delay, "authorization", charge.charge_id)

    def authorize(self, charge: Charge, at: datetime) -> None:
        """Authorized (and captured right away when the charge asked for captureNow)."""
        charge.authorized_at = at
        self.set_status(charge, AUTHORIZED, None, at)
        if charge.request.get("captureNow"):
            self.capture(charge, charge.charge_amount, at)

    def start_capture(
        self, charge: Charge, amount: Money, outcome: tuple[str, str | None], at: datetime
    ) -> None:
        """CaptureInitiated now; Captured (or Declined) after the async delay."""
        charge.capture_amount = amount
        charge.pending_outcome = outcome
        self.set_status(charge, CAPTURE_INITIATED, None, at)
        self.schedule(at + self.async_delay, "capture", charge.charge_id)

    def capture(self, charge: Charge, amount: Money, at: datetime) -> None:
        """Captured; a permission whose whole limit is captured closes."""
        charge.capture_amount = amount
        charge.captured_at = at
        self.set_status(charge, CAPTURED, None, at)
        permission = self.permissions[charge.charge_permission_id]
        busy = any(
            self.charges[other].status.state in (*OPEN_CHARGE_STATES, CAPTURE_INITIATED)
            for other in permission.charge_ids
        )
        if not busy and self.balance(permission).is_zero() and permission.status.state != CLOSED:
            self.set_status(permission, CLOSED, "AmazonClosed", at)

    def decline(self, charge: Charge, reason: str, at: datetime) -> None:
        """Declined; hard declines also make the permission NonChargeable."""
        if charge.status.state == CAPTURE_INITIATED:
            charge.capture_amount = None
        self.set_status(charge, DECLINED, reason, at)
        permission = self.permissions[charge.charge_permission_id]
        if reason in METHOD_DECLINES and permission.status.state == CHARGEABLE:
            self.set_status(permission, NON_CHARGEABLE, "PaymentMethodInvalid", at)

    def add_refund(self, refund: Refund, outcome: tuple[str, str | None]) -> None:
        """RefundInitiated now; Refunded (or Declined) after the async delay."""
        self.refunds[refund.refund_id] = refund
        self.charges[refund.charge_id].refund_ids.append(refund.refund_id)
        refund.pending_outcome = outcome
        self.set_status(refund, REFUND_INITIATED, None, refund.created_at)
        self.schedule(refund.created_at + self.async_delay, "refund", refund.refund_id)

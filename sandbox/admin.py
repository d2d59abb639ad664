"""The admin API under `/_admin` (mounted only when the app is created with admin on).

    GET    /_admin/clock                      {"now", "offsetSeconds"}
    POST   /_admin/clock/advance              {"seconds"|"minutes"|"hours"|"days": N}
                                              -> {"now", "applied"}
    GET    /_admin/keys                       {"publicKeyIds": [...]}
    POST   /_admin/keys                       {"publicKeyId", "publicKeyPem"} -> 201
    POST   /_admin/checkouts                  {"amount", "currencyCode", "buyerName"?,
                                               "buyerEmail"?, "merchantReferenceId"?,
                                               "merchantStoreName"?, "environment"?:
                                               "Sandbox"|"Live", "paymentDescriptor"?:
                                               "Visa ****0701"} -> 201 ChargePermission
    POST   /_admin/charge-permissions/{id}/state  {"state", "reasonCode"?} -> ChargePermission
    GET    /_admin/ledger                     every object (v2 JSON) and counts/totals
    GET|PUT /_admin/faults                    FaultSettings (errorRate, errorStatuses, latencyMs,
                                               latencyAfterCommitMs, dropAfterCommitRate,
                                               operations, seed)
    GET|PUT /_admin/throttle                  {"quotas": "live"|"sandbox"|"off"} -> also the
                                              counts and times of the requests let through
    GET|PUT /_admin/async-delay               {"seconds": N} until async outcomes resolve
    GET|PUT|DELETE /_admin/notifications      recorded IPNs / {"url"} / clear the record
    POST   /_admin/settlements/close          close the settlement period -> 201 {"reports": [...]}

Errors answer 400 `{"reasonCode": "InvalidRequest", "message": ...}`.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from domain.money import Money, money_sum
from sandbox.clock import compact
from sandbox.core import Sandbox
from sandbox.errors import ApiError
from sandbox.faults import FaultSettings
from sandbox.payloads import parse_price
from sandbox.state import CAPTURED, CHARGEABLE, CLOSED, NON_CHARGEABLE, REFUNDED

Endpoint = Callable[[Request], Awaitable[JSONResponse]]
ADVANCE_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _fail(message: str) -> JSONResponse:
    return JSONResponse({"reasonCode": "InvalidRequest", "message": message}, 400)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw, parse_float=Decimal) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _guarded(handler: Callable[[Request], Awaitable[JSONResponse]]) -> Endpoint:
    async def endpoint(request: Request) -> JSONResponse:
        try:
            return await handler(request)
        except ApiError as error:
            return JSONResponse(error.body(), error.status)
        except (ValueError, TypeError, KeyError) as exc:
            return _fail(f"{type(exc).__name__}: {exc}")

    return endpoint


def _totals(amounts: list[Money]) -> dict[str, str]:
    currencies = sorted({amount.currency for amount in amounts})
    return {
        currency: str(money_sum([a for a in amounts if a.currency == currency], currency).amount)
        for currency in currencies
    }


def ledger_view(sandbox: Sandbox) -> dict[str, Any]:
    """Every object of the ledger as v2 JSON, with counts and totals."""
    ledger = sandbox.ledger
    with ledger.lock:
        sandbox.tick()
        charges = list(ledger.charges.values())
        refunds = list(ledger.refunds.values())
        captured = [c.capture_amount for c in charges if c.status.state == CAPTURED]
        refunded = [r.refund_amount for r in refunds if r.status.state == REFUNDED]
        return {
            "now": compact(sandbox.now()),
            "chargePermissions": [ledger.permission_json(p) for p in ledger.permissions.values()],
            "charges": [ledger.charge_json(c) for c in charges],
            "refunds": [r.to_json() for r in refunds],
            "counts": {
                "chargePermissions": len(ledger.permissions),
                "charges": len(charges),
                "captures": len(captured),
                "refunds": len(refunds),
                "chargePermissionsByState": dict(
                    Counter(p.status.state for p in ledger.permissions.values())
                ),
                "chargesByState": dict(Counter(c.status.state for c in charges)),
                "refundsByState": dict(Counter(r.status.state for r in refunds)),
            },
            "totals": {
                "captured": _totals([a for a in captured if a is not None]),
                "refunded": _totals(refunded),
            },
        }


class AdminApi:
    """The admin handlers bound to one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[Route]:
        """The Starlette routes (relative to the /_admin mount)."""
        table: list[tuple[str, Callable[[Request], Awaitable[JSONResponse]], list[str]]] = [
            ("/clock", self.clock, ["GET"]),
            ("/clock/advance", self.advance, ["POST"]),
            ("/keys", self.keys, ["GET", "POST"]),
            ("/checkouts", self.checkout, ["POST"]),
            ("/charge-permissions/{id}/state", self.permission_state, ["POST"]),
            ("/ledger", self.ledger, ["GET"]),
            ("/faults", self.faults, ["GET", "PUT"]),
            ("/throttle", self.throttle, ["GET", "PUT"]),
            ("/async-delay", self.async_delay, ["GET", "PUT"]),
            ("/notifications", self.notifications, ["GET", "PUT", "DELETE"]),
            ("/settlements/close", self.close_settlement, ["POST"]),
        ]
        return [Route(path, _guarded(handler), methods=methods) for path, handler, methods in table]

    async def clock(self, request: Request) -> JSONResponse:
        """The sandbox time."""
        sandbox = self.sandbox
        return JSONResponse(
            {"now": compact(sandbox.now()), "offsetSeconds": sandbox.clock.offset_seconds}
        )

    async def advance(self, request: Request) -> JSONResponse:
        """Move the clock and apply (and notify) every transition that became due."""
        body = await _body(request)
        seconds = sum(float(body.get(unit, 0)) * size for unit, size in ADVANCE_UNITS.items())
        with self.sandbox.ledger.lock:
            self.sandbox.clock.advance(seconds)
            applied = self.sandbox.tick()
        return JSONResponse({"now": compact(self.sandbox.now()), "applied": applied})

    async def keys(self, request: Request) -> JSONResponse:
        """List or register public keys."""
        if request.method == "POST":
            body = await _body(request)
            self.sandbox.keys.register(str(body["publicKeyId"]), str(body["publicKeyPem"]))
            return JSONResponse({"publicKeyIds": self.sandbox.keys.ids()}, 201)
        return JSONResponse({"publicKeyIds": self.sandbox.keys.ids()})

    async def checkout(self, request: Request) -> JSONResponse:
        """A Chargeable charge permission, as a buyer's completed checkout leaves it."""
        body = await _body(request)
        amount = parse_price(
            {"amount": body.get("amount"), "currencyCode": body.get("currencyCode")}, "amount"
        )
        environment = body.get("environment", "Sandbox")
        if environment not in ("Sandbox", "Live"):
            return _fail(f"environment must be Sandbox or Live, got {environment!r}")
        buyer = {
            "buyerId": f"amzn1.account.{uuid.uuid4().hex[:28].upper()}",
            "name": body.get("buyerName", "Sandbox Buyer"),
            "email": body.get("buyerEmail", "buyer@example.com"),
            "phoneNumber": None,
            "primeMembershipTypes": None,
        }
        metadata = {
            key: body[key] for key in ("merchantReferenceId", "merchantStoreName") if body.get(key)
        }
        sandbox = self.sandbox
        with sandbox.ledger.lock:
            permission = sandbox.payments.create_checkout(
                environment,
                amount,
                buyer,
                sandbox.now(),
                merchant_metadata=metadata,
                payment_descriptor=body.get("paymentDescriptor"),
            )
            return JSONResponse(sandbox.ledger.permission_json(permission), 201)

    async def permission_state(self, request: Request) -> JSONResponse:
        """Force a permission's state (e.g. NonChargeable/PaymentMethodExpired) for a test."""
        body = await _body(request)
        state = body.get("state")
        if state not in (CHARGEABLE, NON_CHARGEABLE, CLOSED):
            return _fail(f"state must be Chargeable, NonChargeable or Closed, got {state!r}")
        ledger, permission_id = self.sandbox.ledger, request.path_params["id"]
        with ledger.lock:
            found = ledger.permissions.get(permission_id)
            if found is None:
                raise ApiError("ResourceNotFound", f"no charge permission {permission_id}")
            ledger.set_status(found, state, body.get("reasonCode"), self.sandbox.now())
            return JSONResponse(ledger.permission_json(found))

    async def ledger(self, request: Request) -> JSONResponse:
        """Every object with counts and totals."""
        return JSONResponse(ledger_view(self.sandbox))

    async def faults(self, request: Request) -> JSONResponse:
        """Read or replace the fault injection settings."""
        if request.method == "PUT":
            self.sandbox.faults.configure(FaultSettings.from_json(await _body(request)))
        return JSONResponse(self.sandbox.faults.settings.to_json())

    async def throttle(self, request: Request) -> JSONResponse:
        """Read or switch the quota table."""
        if request.method == "PUT":
            self.sandbox.throttle.set_mode(str((await _body(request)).get("quotas")))
        throttle = self.sandbox.throttle
        return JSONResponse({
            "quotas": throttle.mode,
            "counts": throttle.stats(),
            "allowedAt": throttle.allowed_times(),
        })  # fmt: skip

    async def async_delay(self, request: Request) -> JSONResponse:
        """Read or set the sandbox seconds until pending authorizations/captures/refunds resolve
        (applies to operations started afterwards)."""
        ledger = self.sandbox.ledger
        if request.method == "PUT":
            seconds = float((await _body(request))["seconds"])
            if seconds < 0:
                return _fail(f"seconds must not be negative, got {seconds}")
            ledger.async_delay = timedelta(seconds=seconds)
        return JSONResponse({"seconds": ledger.async_delay.total_seconds()})

    async def notifications(self, request: Request) -> JSONResponse:
        """Recorded IPNs; PUT sets the delivery URL, DELETE clears the record."""
        notifier = self.sandbox.notifier
        if request.method == "PUT":
            notifier.url = (await _body(request)).get("url") or None
        elif request.method == "DELETE":
            notifier.clear()
        return JSONResponse({"url": notifier.url, "notifications": notifier.records()})

    async def close_settlement(self, request: Request) -> JSONResponse:
        """Close the settlement period now: one report per environment and currency."""
        sandbox = self.sandbox
        with sandbox.ledger.lock:
            sandbox.tick()
            reports = sandbox.reports.close_period(sandbox.ledger, sandbox.now())
        return JSONResponse({"reports": [report.to_json() for report in reports]}, 201)


def admin_routes(sandbox: Sandbox) -> list[Route]:
    """The admin endpoints bound to one sandbox."""
    return AdminApi(sandbox).routes()

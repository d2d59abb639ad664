"""The v2 operations the sandbox serves: method + resource pattern -> operation -> handler.

Paths are relative to `/v2`, `/sandbox/v2` or `/live/v2`; a trailing slash is tolerated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from sandbox.core import Sandbox
from sandbox.errors import ApiError


@dataclass(frozen=True)
class Call:
    """Everything a handler needs from one request."""

    environment: str
    object_id: str
    body: dict[str, Any]
    query: Mapping[str, str]
    simulation: str | None
    now: datetime


Handler = Callable[[Sandbox, Call], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class Operation:
    """One API operation."""

    name: str
    method: str
    pattern: re.Pattern[str]
    handler: Handler

    @property
    def mutating(self) -> bool:
        """Whether the operation changes state."""
        return self.method != "GET"

    @property
    def needs_idempotency_key(self) -> bool:
        """Every POST requires x-amz-pay-idempotency-key."""
        return self.method == "POST"


def _get_reports(sandbox: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, sandbox.reports.list(call.environment, call.query, call.now)


def _get_report(sandbox: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, sandbox.reports.get(call.environment, call.object_id).to_json()


def _get_document(sandbox: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    document = sandbox.reports.document(
        call.environment, call.object_id, call.now, sandbox.base_url()
    )
    return 200, document


_ID = r"(?P<id>[^/]+)"
_TABLE: list[tuple[str, str, str, Handler]] = [
    (
        "Get Charge Permission",
        "GET",
        rf"chargePermissions/{_ID}",
        lambda s, c: s.payments.get_charge_permission(c.environment, c.object_id),
    ),
    (
        "Update Charge Permission",
        "PATCH",
        rf"chargePermissions/{_ID}",
        lambda s, c: s.payments.update_charge_permission(c.environment, c.object_id, c.body),
    ),
    (
        "Close Charge Permission",
        "DELETE",
        rf"chargePermissions/{_ID}/close",
        lambda s, c: s.payments.close_charge_permission(c.environment, c.object_id, c.body, c.now),
    ),
    (
        "Create Charge",
        "POST",
        r"charges",
        lambda s, c: s.payments.create_charge(c.environment, c.body, c.now, c.simulation),
    ),
    (
        "Get Charge",
        "GET",
        rf"charges/{_ID}",
        lambda s, c: s.payments.get_charge(c.environment, c.object_id),
    ),
    (
        "Capture Charge",
        "POST",
        rf"charges/{_ID}/capture",
        lambda s, c: s.payments.capture_charge(
            c.environment, c.object_id, c.body, c.now, c.simulation
        ),
    ),
    (
        "Cancel Charge",
        "DELETE",
        rf"charges/{_ID}/cancel",
        lambda s, c: s.payments.cancel_charge(c.environment, c.object_id, c.body, c.now),
    ),
    (
        "Create Refund",
        "POST",
        r"refunds",
        lambda s, c: s.payments.create_refund(c.environment, c.body, c.now, c.simulation),
    ),
    (
        "Get Refund",
        "GET",
        rf"refunds/{_ID}",
        lambda s, c: s.payments.get_refund(c.environment, c.object_id),
    ),
    ("Get Reports", "GET", r"reports", _get_reports),
    ("Get Report By Id", "GET", rf"reports/{_ID}", _get_report),
    ("Get Report Document", "GET", rf"report-documents/{_ID}", _get_document),
]
OPERATIONS = [
    Operation(name, method, re.compile(rf"^{pattern}/?$"), handler)
    for name, method, pattern, handler in _TABLE
]


def match(method: str, resource: str) -> tuple[Operation, str]:
    """The operation and object id of a resource path (404 / 405 when none)."""
    allowed = False
    for operation in OPERATIONS:
        found = operation.pattern.match(resource)
        if found:
            allowed = True
            if operation.method == method.upper():
                return operation, unquote(found.groupdict().get("id") or "")
    if allowed:
        raise ApiError("UnsupportedOperation", f"{method} is not supported on /v2/{resource}")
    raise ApiError("ResourceNotFound", f"no resource /v2/{resource}")

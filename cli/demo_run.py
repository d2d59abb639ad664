"""The demo's scenario: the ERP's requests through the HTTP API, the flows doing the Amazon work,
the sandbox clock advanced between the phases."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
from sqlalchemy import Engine

from adapters.erp.store import UnitOfWork
from api.app import make_app
from cli.demo import CARDS, admin
from domain.money import Money
from domain.payment_status import Status
from flows import orders as order_flows
from flows.settlement import reconcile_settlements
from flows.sync import sync
from sandbox.server import bind_socket, run_app_in_thread
from services.resources import Resources

PRICES = ("19.90", "34.50", "95.10", "120.00", "7.99")


def run_scenario(
    base_url: str, roles: dict[str, str], log: bool
) -> tuple[Engine, dict[str, Any], dict[str, int]]:
    """Push every order through its role's lifecycle, the ERP's side through the HTTP API;
    returns the store, the sandbox ledger and the document types the ERP sees (type -> count)."""
    res = Resources.from_environment()  # the demo's settings

    def say(text: str) -> None:
        if log:
            print(text, flush=True)

    def who(*wanted: str) -> list[str]:
        return [number for number, role in roles.items() if role in wanted]

    with ExitStack() as stack:
        erp = stack.enter_context(erp_api(res))
        say(f"taking in {len(roles)} orders through the ERP interface ({erp.base_url})")
        for index, (number, role) in enumerate(roles.items()):
            price = PRICES[index % len(PRICES)]
            _post(erp, "/orders", _order(base_url, number, price, CARDS.get(role)), 201)
        say("authorizing: the sweeper creates every charge; slow answers time out")
        sync()
        for number in who("slow"):
            order_flows.authorize(number)  # waits 2 s, then authorization_overdue
        admin(base_url, "POST", "/clock/advance", {"minutes": 1})
        _settle(res, who("slow", "declined"))  # late answers arrive as notifications
        sync()
        say("shipments reported by the ERP are activated; cancellations carried out")
        shipped = who("plain", "partial_refund", "full_refund", "slow")
        for number in shipped:
            _post(erp, f"/documents/{number}/shipment", None, 202)
        order_flows.activate_batch(shipped)
        for number in who("cancel"):
            _post(erp, f"/documents/{number}/cancellation", {}, 202)
            order_flows.cancel(number)
        for number in who("item_cancel"):
            items = {"items": [{"sku": "TASSE-WEISS"}]}
            refused = _post(erp, f"/documents/{number}/cancellation", items, 409)
            say(f"  refused as it should be: {refused['error']['message']}")
        say("8 days later: captures become asynchronous")
        admin(base_url, "POST", "/clock/advance", {"days": 8})
        _ship(erp, who("late_capture"))
        order_flows.activate_batch(who("late_capture"))  # CaptureInitiated
        admin(base_url, "POST", "/clock/advance", {"minutes": 1})
        sync()
        say("31 days after authorization: expired authorizations are renewed, then captured")
        admin(base_url, "POST", "/clock/advance", {"days": 23})
        _ship(erp, who("expired"))
        order_flows.activate_batch(who("expired"))  # renews the lapsed authorization first
        say("returns: the ERP's credit notes become refunds")
        for number in who("partial_refund"):
            _post(erp, f"/documents/{number}/returns", _return(number, 1, False), 201)
        for number in who("full_refund"):
            _post(erp, f"/documents/{number}/returns", _return(number, 2, True), 201)
        sync()
        admin(base_url, "POST", "/clock/advance", {"minutes": 1})
        sync()
        say("settlement: Amazon closes the period; reconcile-settlements books the report")
        admin(base_url, "POST", "/clock/advance", {"days": 1})
        admin(base_url, "POST", "/settlements/close")
        reconcile_settlements()
        types = document_types(erp)
    res.amazon.close()
    return res.engine, admin(base_url, "GET", "/ledger"), types


@contextmanager
def erp_api(res: Resources) -> Iterator[httpx.Client]:
    """The ERP interface on a free loopback port with a token of this run; a client for it."""
    token = secrets.token_urlsafe(24)
    with run_app_in_thread(make_app(res, token), bind_socket()) as url:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            yield client


def document_types(erp: httpx.Client) -> dict[str, int]:
    """How many documents of each type the ERP sees, read page by page from the API."""
    counts: Counter[str] = Counter()
    after: str | None = None
    while True:
        params = {"limit": 500} | ({"after": after} if after else {})
        page = erp.get("/documents", params=params).json()
        counts.update(document["type"] for document in page["documents"])
        after = page["next"]
        if after is None:
            return dict(sorted(counts.items()))


def _return(number: str, quantity: int, shipping: bool) -> dict[str, Any]:
    """The returns function's request: the credit note GS<n> for cups (and the shipping)."""
    lines = [{"sku": "TASSE-WEISS", "quantity": quantity}]
    return {"number": f"GS{number[2:]}", "items": lines, "shipping": shipping}


def _ship(erp: httpx.Client, numbers: list[str]) -> None:
    for number in numbers:
        _post(erp, f"/documents/{number}/shipment", None, 202)


def _post(erp: httpx.Client, path: str, body: object, expected: int) -> dict[str, Any]:
    answer = erp.post(path, json=body) if body is not None else erp.post(path)
    if answer.status_code != expected:
        raise RuntimeError(f"POST {path}: {answer.status_code} {answer.text}")
    result: dict[str, Any] = answer.json()
    return result


def _order(base_url: str, number: str, price: str, card: str | None) -> dict[str, Any]:
    """The webshop's order: two cups and shipping, paid at the sandbox's checkout."""
    total = Money(price, "EUR").times(2) + Money("4.90", "EUR")
    checkout: dict[str, Any] = {"amount": str(total.amount), "currencyCode": "EUR"}
    if card:
        checkout["paymentDescriptor"] = card
    permission = admin(base_url, "POST", "/checkouts", checkout)["chargePermissionId"]
    return {
        "number": number,
        "currency": "EUR",
        "charge_permission_id": permission,
        "charge_id": None,
        "items": [{"sku": "TASSE-WEISS", "name": "Tasse weiß", "quantity": 2, "unit_price": price}],
        "shipping": "4.90",
        "customer": {"name": "Demo Kunde", "email": f"{number.lower()}@example.org"},
    }


def _settle(res: Resources, numbers: list[str], seconds: float = 20) -> None:
    """Wait until Amazon's late answers (notifications) have decided these documents."""
    deadline = time.monotonic() + seconds
    waiting = {Status.PENDING, Status.AUTHORIZATION_OVERDUE}

    def undecided() -> bool:
        with UnitOfWork(res.engine) as uow:
            documents = [uow.documents.get(number) for number in numbers]
        return any(d is not None and d.payment.status in waiting for d in documents)

    while undecided() and time.monotonic() < deadline:
        time.sleep(0.2)

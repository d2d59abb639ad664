"""The ERP interface over real HTTP: the API on uvicorn on a free loopback port, the sandbox
on another, the store on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine

from adapters.amazon_pay import AmazonPayClient
from adapters.settings import ModuleSettings
from api.app import make_app
from sandbox.server import bind_socket, run_app_in_thread
from services.resources import Resources
from services.sweep import summary, sweep_once
from tests.orders.conftest import (  # noqa: F401 - fixtures
    Amazon,
    amazon,
    cli_env,
    client,
    rsa_key,
)

TOKEN = "test-token-9f2c1e7a"


@dataclass
class Api:
    """The API as the ERP sees it, and what the test needs beside it."""

    http: httpx.Client
    amazon: Amazon
    res: Resources

    def order(
        self, number: str, price: str = "40.00", shipping: str = "4.90", qty: int = 1, **extra
    ):
        """An order as the webshop posts it, paid at the sandbox's checkout."""
        total = Decimal(price) * qty + Decimal(shipping)
        body = order_body(number, self.amazon.checkout(str(total)), price, shipping, qty)
        return self.http.post("/orders", json=body | extra)

    def sweep(self, times: int = 1) -> dict:
        """One sweep of the sync sweeper per time, in-process, as `amazon-payments sync` runs it."""
        for _ in range(times):
            result = summary(sweep_once(self.res, 1000))
        return result

    def get(self, number: str) -> dict:
        answer = self.http.get(f"/documents/{number}")
        assert answer.status_code == 200, answer.text
        return answer.json()


def order_body(number: str, permission: str, price="40.00", shipping="4.90", qty=1) -> dict:
    return {
        "number": number,
        "currency": "EUR",
        "charge_permission_id": permission,
        "charge_id": None,
        "items": [
            {"sku": "TASSE-WEISS", "name": "Tasse weiß", "quantity": qty, "unit_price": price}
        ],
        "shipping": shipping,
        "customer": {"name": "Erika Mustermann", "email": "erika@example.org"},
    }


def serve_api(res: Resources, token: str | None = TOKEN) -> Iterator[str]:
    with run_app_in_thread(make_app(res, token), bind_socket()) as base_url:
        yield base_url


@pytest.fixture
def settings() -> ModuleSettings:
    return ModuleSettings(database_url="sqlite://")


@pytest.fixture
def res(engine: Engine, client: AmazonPayClient, settings: ModuleSettings) -> Resources:  # noqa: F811
    return Resources(engine, client, settings)


@pytest.fixture
def api(res: Resources, amazon: Amazon) -> Iterator[Api]:  # noqa: F811
    for base_url in serve_api(res):
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
            yield Api(http, amazon, res)

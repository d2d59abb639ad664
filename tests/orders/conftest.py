"""Order-process fixtures: a real sandbox on loopback, a signed client, a migrated store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine

from adapters.amazon_pay import AmazonPayClient, RetryPolicy
from adapters.erp.store import UnitOfWork
from adapters.settings import ModuleSettings
from domain.documents import Customer, Document, DocumentType, Item
from domain.money import Money
from domain.payment_status import Event, Status
from sandbox.config import SandboxConfig
from sandbox.server import run_in_thread
from services.applying import apply_event
from services.resources import Resources

KEY_ID = "SANDBOX-ORDERSTESTKEY00000001"


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> tuple[bytes, str]:
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


@dataclass
class Amazon:
    """The sandbox as the tests see it: its base URL and its admin API."""

    base_url: str

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        response = httpx.request(method, f"{self.base_url}/_admin{path}", json=body, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()

    def checkout(self, amount: str, currency: str = "EUR", **extra: str) -> str:
        body = {"amount": amount, "currencyCode": currency, **extra}
        return self.admin("POST", "/checkouts", body)["chargePermissionId"]

    def advance(self, **duration: float) -> None:
        self.admin("POST", "/clock/advance", dict(duration))

    def ledger(self) -> dict:
        return self.admin("GET", "/ledger")


@pytest.fixture
def amazon(rsa_key: rsa.RSAPrivateKey) -> Iterator[Amazon]:
    _, public = pem(rsa_key)
    config = SandboxConfig(admin=True, public_keys={KEY_ID: public}, quotas="off")
    with run_in_thread(config) as base_url:
        yield Amazon(base_url)


@pytest.fixture
def client(rsa_key: rsa.RSAPrivateKey, amazon: Amazon) -> Iterator[AmazonPayClient]:
    private, _ = pem(rsa_key)
    retry = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)
    with AmazonPayClient(KEY_ID, private, base_url=amazon.base_url, retry=retry) as made:
        yield made


@pytest.fixture
def res(engine: Engine, client: AmazonPayClient) -> Resources:
    return Resources(engine, client, ModuleSettings(database_url="sqlite://"))


def document(res: Resources, number: str) -> Document:
    """The stored document (the test fails when the store does not hold it)."""
    with res.uow() as uow:
        found = uow.documents.get(number)
    assert found is not None, f"no document {number}"
    return found


def status(res: Resources, number: str) -> Status:
    return document(res, number).payment.status


def apply(res: Resources, number: str, event: Event, reason: str = "") -> Status:
    """Apply one of our own events, as the ERP would (a shipment requested, ...)."""
    with res.uow() as uow:
        after = apply_event(uow, number, event, reason)
        uow.commit()
    return after


def place_order(
    res: Resources,
    amazon: Amazon,
    number: str,
    price: str = "40.00",
    shipping: str = "4.90",
    **checkout: str,
) -> Document:
    """An order as the webshop hands it over: a checkout at Amazon, then the ERP document."""
    total = Decimal(price) + Decimal(shipping)
    document = Document(
        number=number,
        doc_type=DocumentType.ORDER,
        currency="EUR",
        items=[Item("TASSE-WEISS", "Tasse weiß", 1, Money(price, "EUR"))],
        shipping=Money(shipping, "EUR"),
        customer=Customer("Erika Mustermann", "erika@example.org"),
        charge_permission_id=amazon.checkout(str(total), **checkout),
    )
    with UnitOfWork(res.engine) as uow:
        uow.documents.add(document)
        uow.commit()
    return document


def credit_note(res: Resources, number: str, order: str, amount: str) -> Document:
    """A credit note from the returns function, refunding `amount` of an order."""
    document = Document(
        number=number,
        doc_type=DocumentType.CREDIT_NOTE,
        currency="EUR",
        items=[Item("RETOURE", "Retoure", 1, Money(amount, "EUR"))],
        shipping=Money("0", "EUR"),
        customer=Customer("Erika Mustermann", "erika@example.org"),
        refers_to=order,
    )
    with UnitOfWork(res.engine) as uow:
        uow.documents.add(document)
        uow.commit()
    return document


@pytest.fixture
def cli_env(rsa_key, amazon, database_url) -> dict[str, str]:
    """The settings a command-line process needs for this test's sandbox and store."""
    private, _ = pem(rsa_key)
    return {
        "AMAZON_PAY_PUBLIC_KEY_ID": KEY_ID,
        "AMAZON_PAY_PRIVATE_KEY": private.decode(),
        "AMAZON_PAY_BASE_URL": amazon.base_url,
        "AMAZON_PAYMENTS_DATABASE_URL": database_url,
    }


@pytest.fixture
def flow_env(prefect_harness, monkeypatch, rsa_key, amazon, database_url, res):
    """Point the flows' settings at this test's sandbox and store."""
    private, _ = pem(rsa_key)
    monkeypatch.setenv("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID)
    monkeypatch.setenv("AMAZON_PAY_PRIVATE_KEY", private.decode())
    monkeypatch.setenv("AMAZON_PAY_BASE_URL", amazon.base_url)
    monkeypatch.setenv("AMAZON_PAYMENTS_DATABASE_URL", database_url)
    yield

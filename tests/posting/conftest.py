"""Posting tests: a sandbox Amazon on loopback; Prefect and GX stay quiet.

Flow tests reuse the session's Prefect test harness (`prefect_harness` in tests/conftest.py):
one temporary Prefect server per test session, whoever starts it first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.amazon_pay import AmazonPayClient, RetryPolicy
from domain.money import Money
from sandbox.config import SandboxConfig
from sandbox.server import run_in_thread

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# No automations are used here: one periodic SQLite writer less in the harness (notes §6).
os.environ.setdefault("PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED", "false")

KEY_ID = "SANDBOX-POSTINGTESTKEY0000001"


@dataclass
class Amazon:
    """The sandbox on loopback: its URL, our key (PEM, generated now) and a signed client."""

    base_url: str
    private_pem: bytes
    client: AmazonPayClient

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        response = httpx.request(method, f"{self.base_url}/_admin{path}", json=body, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()

    def captured(self, number: str, amount: str) -> tuple[str, str]:
        """A checkout for the document `number`, charged and captured at once."""
        body = {"amount": amount, "currencyCode": "EUR", "merchantReferenceId": number}
        permission = self.admin("POST", "/checkouts", body)["chargePermissionId"]
        charge = self.client.create_charge(
            charge_permission_id=permission,
            charge_amount=Money(amount, "EUR"),
            idempotency_key=f"test-{number}",
            capture_now=True,
        )
        return permission, charge.charge_id

    def close_period(self) -> list[dict]:
        """Close the settlement period: one report per currency with captures."""
        self.admin("POST", "/clock/advance", {"seconds": 31})
        return self.admin("POST", "/settlements/close")["reports"]


@pytest.fixture(scope="session")
def rsa_pem() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


@pytest.fixture
def amazon(rsa_pem: tuple[bytes, str]) -> Iterator[Amazon]:
    private, public = rsa_pem
    config = SandboxConfig(admin=True, public_keys={KEY_ID: public}, quotas="off")
    retry = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)
    with (
        run_in_thread(config) as base_url,
        AmazonPayClient(KEY_ID, private, base_url=base_url, retry=retry) as client,
    ):
        yield Amazon(base_url, private, client)


@pytest.fixture
def amazon_env(amazon: Amazon, monkeypatch: pytest.MonkeyPatch) -> Amazon:
    """Point AMAZON_PAY_* at the sandbox (for code that builds its own client)."""
    monkeypatch.setenv("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID)
    monkeypatch.setenv("AMAZON_PAY_PRIVATE_KEY", amazon.private_pem.decode())
    monkeypatch.setenv("AMAZON_PAY_BASE_URL", amazon.base_url)
    monkeypatch.setenv("AMAZON_PAY_QUOTAS", "sandbox")
    return amazon

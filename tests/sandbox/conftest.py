"""Fixtures of the sandbox tests: test keys, and a fresh sandbox server per test on loopback."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.config import SandboxConfig
from sandbox.server import run_in_thread
from tests.sandbox.amazon import Admin, Api, Signer, new_key, public_pem

KEY_ID = "SANDBOX-AHTESTKEY1234567890ABCD"
LEGACY_KEY_ID = "AHLEGACYKEY1234567890ABCD"
REPO = Path(__file__).resolve().parents[2]
SAMPLES = Path(os.environ.get("AMAZON_PAYMENTS_SAMPLES", REPO.parent / "shared" / "samples"))


@pytest.fixture(scope="session")
def private_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="session")
def other_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    return SAMPLES


class Running:
    """A running sandbox: its base URL, the admin API and a signed client."""

    def __init__(self, base_url: str, key: rsa.RSAPrivateKey) -> None:
        self.base_url = base_url
        self.admin = Admin(base_url)
        self.api = Api(base_url, Signer(KEY_ID, key), self.admin.now)
        self._keys = itertools.count(1)

    def key(self) -> str:
        """A fresh idempotency key."""
        return f"test-key-{next(self._keys)}"

    def client(self, signer: Signer, prefix: str = "/sandbox/v2") -> Api:
        return Api(self.base_url, signer, self.admin.now, prefix)

    def authorized_charge(self, amount: str = "100.00", **checkout: Any) -> tuple[str, str]:
        """A permission and an Authorized charge of the whole amount on it."""
        permission = self.admin.checkout(amount, **checkout)
        currency = checkout.get("currency", "EUR")
        response = self.api.create_charge(permission, amount, self.key(), currency=currency)
        assert response.status_code == 201, response.text
        return permission, response.json()["chargeId"]

    def captured_charge(self, amount: str = "100.00", **checkout: Any) -> tuple[str, str]:
        permission, charge = self.authorized_charge(amount, **checkout)
        currency = checkout.get("currency", "EUR")
        response = self.api.capture(charge, amount, self.key(), currency=currency)
        assert response.status_code == 200, response.text
        return permission, charge


@pytest.fixture
def start_sandbox(
    private_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> Iterator[Callable[..., Running]]:
    """Start sandboxes with config overrides; all are stopped after the test."""
    stack = contextlib.ExitStack()

    def start(**overrides: Any) -> Running:
        settings: dict[str, Any] = {
            "admin": True,
            "quotas": "off",
            "tick_interval_seconds": None,
            "public_keys": {
                KEY_ID: public_pem(private_key),
                LEGACY_KEY_ID: public_pem(private_key),
            },
        }
        settings.update(overrides)
        base_url = stack.enter_context(run_in_thread(SandboxConfig(**settings)))
        running = Running(base_url, private_key)
        stack.callback(running.api.close)
        stack.callback(running.admin.close)
        return running

    with stack:
        yield start


@pytest.fixture
def sandbox(start_sandbox: Callable[..., Running]) -> Running:
    """A sandbox with admin on, throttling off and no background ticker."""
    return start_sandbox()

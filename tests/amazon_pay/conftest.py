"""Fixtures of the Amazon Pay client tests: a generated RSA key, a fake clock, a client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters.amazon_pay import AmazonPayClient, RetryPolicy
from tests.amazon_pay.fakes import FakeClock, GeneratedKey, Recorder, new_key

LEGACY_KEY_ID = "AHXY7KNWZQTDS3SLU5JEXAMPL"


@pytest.fixture(scope="session")
def key() -> GeneratedKey:
    return new_key()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_client(
    key: GeneratedKey, clock: FakeClock, recorder: Recorder
) -> Callable[..., AmazonPayClient]:
    """A client on the recorder's MockTransport, the fake clock, and no jitter."""

    def build(**options: Any) -> AmazonPayClient:
        settings: dict[str, Any] = {
            "region": "eu",
            "sandbox": True,
            "clock": clock,
            "transport": recorder.transport(),
            "retry": RetryPolicy(max_attempts=3, base_delay=1.0, jitter=lambda: 1.0),
        }
        settings.update(options)
        key_id = settings.pop("public_key_id", LEGACY_KEY_ID)
        return AmazonPayClient(key_id, settings.pop("pem", key.pkcs8()), **settings)

    return build

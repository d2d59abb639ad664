"""Fixtures of the IPN tests: a signing certificate, a loopback certificate server, receivers."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from adapters.erp.schema import NotificationRow
from adapters.ipn import Notification, ReceiverOptions, create_app
from tests.ipn.servers import CertServer, Loopback
from tests.ipn.signing import SigningKey, new_signing_key


@pytest.fixture(scope="session")
def signer() -> SigningKey:
    return new_signing_key()


@pytest.fixture(scope="session")
def cert_server() -> Iterator[CertServer]:
    server = CertServer()
    server.loopback.start(server.app())
    yield server
    server.loopback.stop()


@pytest.fixture
def cert_url(cert_server: CertServer, signer: SigningKey) -> str:
    """The signer's certificate under a URL of this test's own (so hit counts are per test)."""
    return cert_server.add(f"{uuid.uuid4().hex}.pem", signer.cert_pem)


@dataclass
class Reconciler:
    """The callback under observation: records calls, can fail the first n, can be slow."""

    fail_first: int = 0
    delay: float = 0.0
    calls: list[Notification] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, notification: Notification) -> None:
        time.sleep(self.delay)
        with self._lock:
            self.calls.append(notification)
            if len(self.calls) <= self.fail_first:
                raise RuntimeError("Amazon did not answer")


@dataclass
class Receiver:
    url: str
    engine: Engine
    reconciler: Reconciler

    def post(self, envelope: dict[str, str] | bytes, **headers: str) -> httpx.Response:
        """POST like SNS does: text/plain JSON with the message-type header."""
        if isinstance(envelope, bytes):
            body = envelope
        else:
            body = json.dumps(envelope).encode()
            headers.setdefault("x-amz-sns-message-type", envelope.get("Type", ""))
        headers.setdefault("content-type", "text/plain; charset=UTF-8")
        return httpx.post(self.url, content=body, headers=headers, timeout=30)

    def rows(self) -> list[NotificationRow]:
        with Session(self.engine) as session:
            return list(session.scalars(select(NotificationRow).order_by(NotificationRow.id)))


@pytest.fixture
def start_receiver(engine: Engine, cert_url: str) -> Iterator[Callable[..., Receiver]]:
    """Start a receiver on loopback; by default it trusts this test's certificate URL."""
    loopbacks: list[Loopback] = []

    def start(reconciler: Reconciler | None = None, **options: object) -> Receiver:
        options.setdefault("trusted_cert_urls", (cert_url,))
        reconciler = reconciler or Reconciler()
        app = create_app(engine, reconciler, ReceiverOptions(**options))  # type: ignore[arg-type]
        loopback = Loopback().start(app)
        loopbacks.append(loopback)
        return Receiver(loopback.url + "/ipn", engine, reconciler)

    yield start
    for loopback in loopbacks:
        loopback.stop()

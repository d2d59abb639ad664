"""Test doubles for the Amazon Pay client: a fake clock, keys, Amazon-shaped JSON, a recorder."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    """A clock whose sleep advances time instantly; records every sleep."""

    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.elapsed += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


@dataclass
class GeneratedKey:
    """An RSA key generated for the test run; never written to the repository."""

    private: rsa.RSAPrivateKey

    def pkcs8(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def pkcs1(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )

    @property
    def public(self) -> rsa.RSAPublicKey:
        return self.private.public_key()


def new_key() -> GeneratedKey:
    return GeneratedKey(rsa.generate_private_key(public_exponent=65537, key_size=2048))


Responder = Callable[[httpx.Request], httpx.Response]


@dataclass
class Recorder:
    """An httpx.MockTransport that records requests and answers from a script or a function."""

    answers: list[httpx.Response | Exception] = field(default_factory=list)
    respond: Responder | None = None
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self.respond is not None:
            return self.respond(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
    )


def error_response(
    status: int, reason_code: str, message: str = "", headers: dict[str, str] | None = None
) -> httpx.Response:
    return json_response(status, {"reasonCode": reason_code, "message": message}, headers)


def price(amount: Any, currency: str = "EUR") -> dict[str, Any]:
    return {"amount": amount, "currencyCode": currency}


def charge_json(
    charge_id: str = "S01-1234567-1234567-C000001",
    state: str = "Authorized",
    amount: Any = "14.00",
    currency: str = "EUR",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "chargeId": charge_id,
        "chargePermissionId": charge_id.rsplit("-", 1)[0],
        "chargeAmount": price(amount, currency),
        "captureAmount": None,
        "refundedAmount": None,
        "statusDetails": {
            "state": state,
            "reasonCode": None,
            "reasonDescription": None,
            "lastUpdatedTimestamp": "20231026T062827Z",
        },
        "creationTimestamp": "20231026T062800Z",
        "expirationTimestamp": "20231125T062800Z",
        "releaseEnvironment": "Sandbox",
    }
    body.update(extra)
    return body


def refund_json(
    refund_id: str = "S01-1234567-1234567-R000001",
    state: str = "RefundInitiated",
    amount: Any = "5.00",
    currency: str = "EUR",
) -> dict[str, Any]:
    return {
        "refundId": refund_id,
        "chargeId": "S01-1234567-1234567-C000001",
        "refundAmount": price(amount, currency),
        "softDescriptor": "AMZ*Shop",
        "creationTimestamp": "20231026T070000Z",
        "statusDetails": {
            "state": state,
            "reasonCode": None,
            "reasonDescription": None,
            "lastUpdatedTimestamp": "20231026T070000Z",
        },
        "releaseEnvironment": "Sandbox",
    }


def charge_permission_json(
    cp_id: str = "S01-1234567-1234567",
    state: str = "Chargeable",
    reasons: Iterable[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "chargePermissionId": cp_id,
        "chargePermissionReferenceId": None,
        "chargePermissionType": "OneTime",
        "buyer": {"buyerId": "amzn1.account.X", "name": "Test Buyer", "email": "b@example.com"},
        "limits": {"amountLimit": price("200.00"), "amountBalance": price("186.00")},
        "presentmentCurrency": "EUR",
        "statusDetails": {
            "state": state,
            "reasons": list(reasons) if reasons is not None else None,
            "lastUpdatedTimestamp": "20231026T062827Z",
        },
        "creationTimestamp": "20231026T062700Z",
        "expirationTimestamp": "20240423T062700Z",
        "releaseEnvironment": "Sandbox",
    }


SALT = {"AMZN-PAY-RSASSA-PSS": 20, "AMZN-PAY-RSASSA-PSS-V2": 32}
MANDATORY = ["accept", "content-type", "x-amz-pay-date", "x-amz-pay-host", "x-amz-pay-region"]


def verify_wire_request(request: httpx.Request, public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """Check a request's signature the way Amazon would, from the bytes on the wire only.

    Written apart from adapters.amazon_pay.signing (raw path, raw query, header values as sent,
    body as sent), so a client that signs something other than what it sends fails here.
    Raises cryptography's InvalidSignature; returns the parsed authorization fields.
    """
    algorithm, _, rest = request.headers["authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    signed = fields["SignedHeaders"].split(";")
    assert signed == sorted(signed) and set(MANDATORY) <= set(signed), signed
    canonical = "\n".join(
        [
            request.method,
            request.url.raw_path.split(b"?")[0].decode(),
            request.url.query.decode(),
            "".join(f"{name}:{request.headers[name].strip()}\n" for name in signed),
            ";".join(signed),
            hashlib.sha256(request.content).hexdigest(),
        ]
    )
    text = f"{algorithm}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=SALT[algorithm])
    public_key.verify(base64.b64decode(fields["Signature"]), text.encode(), pss, hashes.SHA256())
    return {"algorithm": algorithm, **fields}

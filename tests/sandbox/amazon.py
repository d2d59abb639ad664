"""A small test-local Amazon Pay v2 client: signs requests on its own (not sandbox code, not
adapters) so the sandbox's verifier is checked against an independent implementation."""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SALTS = {"AMZN-PAY-RSASSA-PSS": 20, "AMZN-PAY-RSASSA-PSS-V2": 32}
# One TLS context for every test client: building one per httpx.Client costs ~70 ms.
TLS = ssl.create_default_context()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def encode(text: str) -> str:
    return quote(text, safe="-_.~")


def canonical(
    method: str,
    path: str,
    params: list[tuple[str, str]],
    headers: dict[str, str],
    payload: bytes,
) -> str:
    """The canonical request as the SDKs build it (path given decoded)."""
    query = "&".join(f"{k}={v}" for k, v in sorted((encode(k), encode(v)) for k, v in params))
    names = sorted(headers)
    lines = [method, quote(path, safe="/-_.~") or "/", query]
    lines += [f"{name}:{headers[name].strip()}" for name in names]
    lines += ["", ";".join(names), hashlib.sha256(payload).hexdigest()]
    return "\n".join(lines)


class Signer:
    """Signs with one key; `salt` overrides the algorithm's salt to provoke a mismatch."""

    def __init__(
        self,
        key_id: str,
        key: rsa.RSAPrivateKey,
        algorithm: str = "AMZN-PAY-RSASSA-PSS-V2",
        salt: int | None = None,
    ) -> None:
        self.key_id, self.key, self.algorithm = key_id, key, algorithm
        self.salt = SALTS[algorithm] if salt is None else salt

    def authorization(self, canonical_request: str, signed: list[str]) -> str:
        digest = hashlib.sha256(canonical_request.encode()).hexdigest()
        to_sign = f"{self.algorithm}\n{digest}".encode()
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=self.salt)
        signature = base64.b64encode(self.key.sign(to_sign, pss, hashes.SHA256())).decode()
        return (
            f"{self.algorithm} PublicKeyId={self.key_id}, "
            f"SignedHeaders={';'.join(sorted(signed))}, Signature={signature}"
        )


def amz_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class Api:
    """Signed calls to the sandbox's v2 API, with knobs to break each part of a request."""

    def __init__(
        self,
        base_url: str,
        signer: Signer,
        now: Callable[[], datetime],
        prefix: str = "/sandbox/v2",
    ) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10.0, verify=TLS)
        self.signer, self.now, self.prefix = signer, now, prefix
        self.host, self.region = "pay-api.amazon.eu", "eu"

    def call(
        self,
        method: str,
        resource: str,
        body: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        simulation: str | None = None,
        params: list[tuple[str, str]] | None = None,
        unsigned: tuple[str, ...] = (),
        skew: timedelta = timedelta(0),
        send_body: bytes | None = None,
        raw_path: str | None = None,
        raw_body: bytes | None = None,
    ) -> httpx.Response:
        payload = json.dumps(body).encode() if body is not None else b""
        if raw_body is not None:
            payload = raw_body
        path = f"{self.prefix}/{resource}"
        headers = {
            "accept": "application/json",
            "content-type": "application/json",
            "x-amz-pay-date": amz_date(self.now() + skew),
            "x-amz-pay-host": self.host,
            "x-amz-pay-region": self.region,
        }
        if key is not None:
            headers["x-amz-pay-idempotency-key"] = key
        signed = {name: value for name, value in headers.items() if name not in unsigned}
        canonical_request = canonical(method, path, params or [], signed, payload)
        headers["authorization"] = self.signer.authorization(canonical_request, list(signed))
        if simulation is not None:
            headers["x-amz-pay-simulation-code"] = simulation  # unsigned, as PHP sends it
        url = (raw_path or quote(path)) + (f"?{urlencode(params)}" if params else "")
        content = payload if send_body is None else send_body
        return self.http.request(method, url, content=content, headers=headers)

    # Convenience wrappers -------------------------------------------------------------------

    def create_charge(
        self, permission_id: str, amount: str, key: str, **extra: Any
    ) -> httpx.Response:
        simulation = extra.pop("simulation", None)
        currency = extra.pop("currency", "EUR")
        body = {
            "chargePermissionId": permission_id,
            "chargeAmount": {"amount": amount, "currencyCode": currency},
            **extra,
        }
        return self.call("POST", "charges", body, key=key, simulation=simulation)

    def capture(self, charge_id: str, amount: str, key: str, **extra: Any) -> httpx.Response:
        simulation = extra.pop("simulation", None)
        currency = extra.pop("currency", "EUR")
        body = {"captureAmount": {"amount": amount, "currencyCode": currency}, **extra}
        return self.call(
            "POST", f"charges/{charge_id}/capture", body, key=key, simulation=simulation
        )

    def refund(self, charge_id: str, amount: str, key: str, **extra: Any) -> httpx.Response:
        simulation = extra.pop("simulation", None)
        currency = extra.pop("currency", "EUR")
        body = {"chargeId": charge_id, "refundAmount": {"amount": amount, "currencyCode": currency}}
        return self.call("POST", "refunds", body, key=key, simulation=simulation)

    def get(self, resource: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", resource, **kwargs)

    def close(self) -> None:
        self.http.close()


class Admin:
    """The sandbox's admin API, and an estimate of the sandbox clock for signing."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10.0, verify=TLS)
        self.offset = timedelta(0)
        self.sync_clock()

    def sync_clock(self) -> None:
        now = self.http.get("/_admin/clock").json()["now"]
        sandbox_now = datetime.strptime(now, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        self.offset = sandbox_now - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **amount: float) -> dict[str, Any]:
        response = self.http.post("/_admin/clock/advance", json=amount)
        response.raise_for_status()
        self.sync_clock()
        return response.json()

    def checkout(self, amount: str = "100.00", currency: str = "EUR", **extra: Any) -> str:
        body = {"amount": amount, "currencyCode": currency, **extra}
        response = self.http.post("/_admin/checkouts", json=body)
        assert response.status_code == 201, response.text
        return response.json()["chargePermissionId"]

    def ledger(self) -> dict[str, Any]:
        return self.http.get("/_admin/ledger").json()

    def close(self) -> None:
        self.http.close()


def fetch(url: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
    """One unsigned request (downloads, certificates, admin probes) with the shared TLS context."""
    return httpx.request(method, url, verify=TLS, **kwargs)

"""IPNs as Amazon sends them: SNS `Notification` envelopes, signed, POSTed in the background.

Every state change of a charge permission, charge or refund becomes one message (§6): the SNS
envelope (Type, MessageId, TopicArn, Message, Timestamp, SignatureVersion "2", Signature,
SigningCertURL, UnsubscribeURL) whose `Message` is the JSON string of the v2 IPN. The signature is
SHA256withRSA (PKCS#1 v1.5) over the canonical SNS string, made with a self-signed certificate
generated in memory at start (never written to disk) and served by the sandbox at
`/_sns/<name>.pem`. Delivery is best effort, one attempt, on a background thread; every message
is recorded with its delivery result so tests can see what was sent.
"""

from __future__ import annotations

import base64
import json
import queue
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from sandbox.ledger import Change

SIGNED_FIELDS = ("Message", "MessageId", "Subject", "SubscribeURL", "Timestamp", "Token")
SIGNED_FIELDS_TAIL = ("TopicArn", "Type")
CERT_PATH = "/_sns/SimpleNotificationService-sandbox.pem"
MAX_RECORDS = 10_000


def sns_string_to_sign(envelope: Mapping[str, str]) -> str:
    """`Key\\nValue\\n` for each present signed key, in SNS's fixed order."""
    return "".join(
        f"{key}\n{envelope[key]}\n"
        for key in (*SIGNED_FIELDS, *SIGNED_FIELDS_TAIL)
        if key in envelope
    )


_PROCESS_KEY: list[rsa.RSAPrivateKey] = []
_PROCESS_KEY_LOCK = threading.Lock()


def _process_key() -> rsa.RSAPrivateKey:
    # One throw-away key per process: generating 2048-bit keys costs ~0.1 s per app start.
    with _PROCESS_KEY_LOCK:
        if not _PROCESS_KEY:
            _PROCESS_KEY.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return _PROCESS_KEY[0]


class SnsSigner:
    """A throw-away RSA key (one per process) and a self-signed certificate, all in memory."""

    def __init__(self, common_name: str = "sns.sandbox.amazonaws.local") -> None:
        self._key = _process_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem = certificate.public_bytes(serialization.Encoding.PEM)

    def __repr__(self) -> str:
        return "SnsSigner(<in-memory key>)"

    def sign(self, envelope: Mapping[str, str]) -> str:
        """Base64 SHA256withRSA signature of the envelope (SignatureVersion 2)."""
        raw = self._key.sign(
            sns_string_to_sign(envelope).encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return base64.b64encode(raw).decode("ascii")


class Notifier:
    """Builds, records and delivers IPNs."""

    def __init__(
        self,
        merchant_id: str,
        topic_arn: str,
        version: str,
        url: str | None,
        base_url: Callable[[], str],
        now: Callable[[], datetime],
    ) -> None:
        self.signer = SnsSigner()
        self.merchant_id = merchant_id
        self.topic_arn = topic_arn
        self.version = version
        self.url = url
        self._base_url = base_url
        self._now = now
        self._records: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._worker: threading.Thread | None = None

    def envelope(self, change: Change) -> dict[str, str]:
        """The signed SNS envelope of one state change."""
        message = {
            "MerchantID": self.merchant_id,
            "ObjectType": change.object_type,
            "ObjectId": change.object_id,
            "ChargePermissionId": change.charge_permission_id,
            "NotificationType": "STATE_CHANGE",
            "NotificationId": uuid.uuid4().hex,
            "NotificationVersion": self.version,
        }
        base = self._base_url()
        envelope = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": self.topic_arn,
            "Message": json.dumps(message),
            "Timestamp": self._now().astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "SignatureVersion": "2",
            "SigningCertURL": base + CERT_PATH,
            "UnsubscribeURL": f"{base}/_sns/unsubscribe?SubscriptionArn={self.topic_arn}",
        }
        envelope["Signature"] = self.signer.sign(envelope)
        return envelope

    def publish(self, change: Change) -> None:
        """Record a change's IPN and queue its delivery (ledger listener)."""
        record: dict[str, Any] = {
            "envelope": self.envelope(change),
            "state": change.state,
            "url": self.url,
            "status": None,
            "error": None,
        }
        with self._lock:
            self._records.append(record)
            del self._records[:-MAX_RECORDS]
        if self.url:
            self._queue.put(record)

    def records(self) -> list[dict[str, Any]]:
        """Copies of every recorded IPN with its delivery result."""
        with self._lock:
            return [dict(record) for record in self._records]

    def clear(self) -> None:
        """Forget the recorded IPNs."""
        with self._lock:
            self._records.clear()

    def start(self) -> None:
        """Start the delivery thread."""
        if self._worker is None:
            self._worker = threading.Thread(target=self._deliver_all, daemon=True, name="ipn")
            self._worker.start()

    def stop(self) -> None:
        """Stop the delivery thread after the queued messages."""
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=10)
            self._worker = None

    def _deliver_all(self) -> None:
        client: httpx.Client | None = None
        try:
            while (record := self._queue.get()) is not None:
                # Created on first use: building a client (its TLS context) costs ~70 ms.
                client = client or httpx.Client(timeout=5.0)
                self._deliver(client, record)
        finally:
            if client is not None:
                client.close()

    def _deliver(self, client: httpx.Client, record: dict[str, Any]) -> None:
        envelope = record["envelope"]
        try:
            response = client.post(
                record["url"],
                content=json.dumps(envelope).encode(),
                headers={
                    "content-type": "text/plain; charset=UTF-8",
                    "x-amz-sns-message-type": "Notification",
                    "x-amz-sns-message-id": envelope["MessageId"],
                    "x-amz-sns-topic-arn": envelope["TopicArn"],
                },
            )
        except httpx.HTTPError as exc:
            # Best effort: a receiver that is down must never break the API.
            with self._lock:
                record["error"] = f"{type(exc).__name__}: {exc}"
            return
        with self._lock:
            record["status"] = response.status_code

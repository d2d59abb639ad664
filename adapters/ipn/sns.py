"""SNS envelopes: reading them from untrusted bytes and verifying their signatures.

The string to sign is `Key\\nValue\\n` for each signed key present, in SNS's fixed order: a
`Notification` signs Message, MessageId, Subject, Timestamp, TopicArn, Type; the subscription
messages also sign SubscribeURL and Token. SignatureVersion "1" is RSA PKCS#1 v1.5 over SHA1,
"2" over SHA256; anything else is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from adapters.ipn.certificates import CertificateStore
from adapters.ipn.errors import BadEnvelope, SignatureInvalid

NOTIFICATION = "Notification"
SUBSCRIPTION = "SubscriptionConfirmation"
UNSUBSCRIBE = "UnsubscribeConfirmation"

NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = (
    "Message",
    "MessageId",
    "Subject",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
COMMON_REQUIRED = (
    "Type",
    "MessageId",
    "Message",
    "Timestamp",
    "TopicArn",
    "Signature",
    "SignatureVersion",
    "SigningCertURL",
)
REQUIRED = {
    NOTIFICATION: COMMON_REQUIRED,
    SUBSCRIPTION: (*COMMON_REQUIRED, "SubscribeURL", "Token"),
    UNSUBSCRIBE: (*COMMON_REQUIRED, "SubscribeURL", "Token"),
}
MAX_MESSAGE_ID = 100  # NotificationRow.message_id


def _hash(version: str) -> hashes.HashAlgorithm:
    if version == "1":
        return hashes.SHA1()  # noqa: S303 - SNS SignatureVersion 1 is defined as SHA1withRSA
    if version == "2":
        return hashes.SHA256()
    raise SignatureInvalid(f"SignatureVersion {version[:20]!r} is not supported (only 1 and 2)")


@dataclass(frozen=True)
class Envelope:
    """An SNS message as received: its string fields by name (`SigningCertUrl` normalized)."""

    fields: Mapping[str, str]

    @property
    def type(self) -> str:
        return self.fields["Type"]

    @property
    def message_id(self) -> str:
        return self.fields["MessageId"]

    @property
    def topic_arn(self) -> str:
        return self.fields["TopicArn"]

    @property
    def message(self) -> str:
        return self.fields["Message"]

    @property
    def cert_url(self) -> str:
        return self.fields["SigningCertURL"]

    @property
    def subscribe_url(self) -> str:
        return self.fields["SubscribeURL"]


def parse_envelope(raw: bytes) -> Envelope:
    """Read an SNS envelope from a request body; BadEnvelope names the first problem."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as problem:
        raise BadEnvelope(f"body is not JSON: {str(problem)[:120]}") from None
    if not isinstance(data, dict):
        raise BadEnvelope("body is not a JSON object")
    if "SigningCertURL" not in data and "SigningCertUrl" in data:
        data["SigningCertURL"] = data.pop("SigningCertUrl")  # the Lambda-style spelling
    fields: dict[str, str] = {}
    for key, value in data.items():
        if value is None:  # Lambda-style envelopes carry "Subject": null
            continue
        if not isinstance(value, str):
            raise BadEnvelope(f"field {str(key)[:40]!r} must be a string")
        fields[key] = value
    kind = fields.get("Type")
    if kind not in REQUIRED:
        raise BadEnvelope(f"Type must be one of {', '.join(REQUIRED)}, got {str(kind)[:40]!r}")
    missing = [key for key in REQUIRED[kind] if not fields.get(key)]
    if missing:
        raise BadEnvelope(f"{kind} lacks field(s): {', '.join(missing)}")
    if len(fields["MessageId"]) > MAX_MESSAGE_ID:
        raise BadEnvelope(f"MessageId is longer than {MAX_MESSAGE_ID} characters")
    return Envelope(fields)


def string_to_sign(fields: Mapping[str, str]) -> str:
    """SNS's canonical string: `Key\\nValue\\n` for each signed key present, in fixed order."""
    keys = NOTIFICATION_KEYS if fields.get("Type") == NOTIFICATION else CONFIRMATION_KEYS
    return "".join(f"{key}\n{fields[key]}\n" for key in keys if key in fields)


def verify_envelope(envelope: Envelope, certificates: CertificateStore) -> None:
    """Raise unless the envelope is signed by the trusted certificate at its SigningCertURL."""
    algorithm = _hash(envelope.fields["SignatureVersion"])
    try:
        signature = base64.b64decode(envelope.fields["Signature"], validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalid("Signature is not base64") from None
    key = certificates.public_key(envelope.cert_url)
    payload = string_to_sign(envelope.fields).encode("utf-8")
    try:
        key.verify(signature, payload, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise SignatureInvalid(
            f"signature of message {envelope.message_id[:100]} does not verify"
        ) from None

"""Test-side SNS: a generated key and self-signed certificate, and envelopes signed with them.

The string to sign is written out here independently of `adapters.ipn.sns`, from AWS's
description, so a mistake there cannot hide behind the same mistake here.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

TOPIC_ARN = "arn:aws:sns:eu-west-1:000000000000:A1TESTMERCHANT"
MERCHANT_ID = "A1TESTMERCHANT"


@dataclass
class SigningKey:
    key: rsa.RSAPrivateKey
    cert_pem: bytes

    def __repr__(self) -> str:
        return "SigningKey(<generated>)"


def new_signing_key(valid_days: int = 30, expired: bool = False) -> SigningKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.test.local")])
    start = datetime.now(UTC) - timedelta(days=(valid_days + 2) if expired else 1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=valid_days))
        .sign(key, hashes.SHA256())
    )
    return SigningKey(key, certificate.public_bytes(serialization.Encoding.PEM))


def canonical(envelope: dict[str, str]) -> bytes:
    """AWS: Notification signs Message, MessageId, Subject (if any), Timestamp, TopicArn, Type;
    the subscription messages sign Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn,
    Type. Each as `Key\\nValue\\n`."""
    if envelope["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = ""
    for key in keys:
        if key in envelope:
            text += key + "\n" + envelope[key] + "\n"
    return text.encode("utf-8")


def sign(envelope: dict[str, str], signer: SigningKey, version: str = "2") -> dict[str, str]:
    """The envelope with SignatureVersion and Signature (v1: SHA1, otherwise SHA256)."""
    signed = dict(envelope, SignatureVersion=version)
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()
    raw = signer.key.sign(canonical(signed), padding.PKCS1v15(), digest)
    signed["Signature"] = base64.b64encode(raw).decode("ascii")
    return signed


def ipn_message(object_id: str = "S02-1234567-1234567-C000001", **extra: Any) -> str:
    message = {
        "MerchantID": MERCHANT_ID,
        "ObjectType": "CHARGE",
        "ObjectId": object_id,
        "ChargePermissionId": "S02-1234567-1234567",
        "NotificationType": "STATE_CHANGE",
        "NotificationId": uuid.uuid4().hex,
        "NotificationVersion": "V2",
    }
    message.update(extra)
    return json.dumps(message)


def notification(
    signer: SigningKey,
    cert_url: str,
    version: str = "2",
    message: str | None = None,
    **fields: str,
) -> dict[str, str]:
    """A signed SNS Notification envelope carrying an IPN."""
    envelope = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": TOPIC_ARN,
        "Message": message if message is not None else ipn_message(),
        "Timestamp": "2024-05-01T12:00:00.000Z",
        "SigningCertURL": cert_url,
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }
    envelope.update(fields)
    return sign(envelope, signer, version)


def confirmation(
    signer: SigningKey, cert_url: str, subscribe_url: str, kind: str = "SubscriptionConfirmation"
) -> dict[str, str]:
    """A signed SubscriptionConfirmation (or UnsubscribeConfirmation) envelope."""
    envelope = {
        "Type": kind,
        "MessageId": str(uuid.uuid4()),
        "Token": "2336412f37fb687f5d51e6e2425f004aed",
        "TopicArn": TOPIC_ARN,
        "Message": "You have chosen to subscribe to the topic. To confirm, visit the SubscribeURL.",
        "SubscribeURL": subscribe_url,
        "Timestamp": "2024-05-01T12:00:00.000Z",
        "SigningCertURL": cert_url,
    }
    return sign(envelope, signer)

"""The IPN inside an SNS Notification: a JSON string naming the Amazon object that changed.

Amazon's schema writes `ObjectType`, its parameter tables `objectType`; keys are read without
regard to case. An IPN carries no state: the reconcile step re-reads the object from Amazon.
Unknown object types are passed on (the reconcile step decides), never refused: a 4xx answer
would make SNS drop the message for good.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from adapters.ipn.errors import BadEnvelope

MAX_LENGTHS = {"objecttype": 32, "objectid": 64}  # NotificationRow columns


@dataclass(frozen=True)
class Notification:
    """What changed at Amazon, as the reconcile step needs it."""

    object_type: str  # CHARGE_PERMISSION | CHARGE | REFUND | CHARGEBACK (as sent)
    object_id: str
    charge_permission_id: str | None
    notification_type: str | None  # STATE_CHANGE | ATTRIBUTE_CHANGE
    message_id: str  # the SNS MessageId: the delivery's identity, unique in the store
    notification_id: str | None = None
    merchant_id: str | None = None


def _folded(message: dict[str, Any]) -> dict[str, Any]:
    folded: dict[str, Any] = {}
    for key, value in message.items():
        name = key.lower()
        if name in folded:
            raise BadEnvelope(f"IPN Message has key {key!r} twice (keys are case-insensitive)")
        folded[name] = value
    return folded


def _text(folded: dict[str, Any], name: str, label: str, required: bool) -> str | None:
    value = folded.get(name)
    if value is None or value == "":
        if required:
            raise BadEnvelope(f"IPN Message lacks {label}")
        return None
    if not isinstance(value, str):
        raise BadEnvelope(f"IPN Message field {label} must be a string")
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(value) > limit:
        raise BadEnvelope(f"IPN Message field {label} is longer than {limit} characters")
    return value


def parse_notification(message_id: str, message: str) -> tuple[Notification, dict[str, Any]]:
    """The notification in an SNS `Message` string, and the message as a dict for storing."""
    try:
        data = json.loads(message)
    except ValueError as problem:
        raise BadEnvelope(f"IPN Message is not JSON: {str(problem)[:120]}") from None
    if not isinstance(data, dict):
        raise BadEnvelope("IPN Message is not a JSON object")
    folded = _folded(data)
    object_type = _text(folded, "objecttype", "ObjectType", required=True)
    object_id = _text(folded, "objectid", "ObjectId", required=True)
    assert object_type is not None and object_id is not None  # required=True guarantees it
    notification = Notification(
        object_type=object_type,
        object_id=object_id,
        charge_permission_id=_text(folded, "chargepermissionid", "ChargePermissionId", False),
        notification_type=_text(folded, "notificationtype", "NotificationType", False),
        message_id=message_id,
        notification_id=_text(folded, "notificationid", "NotificationId", False),
        merchant_id=_text(folded, "merchantid", "MerchantID", False),
    )
    return notification, data

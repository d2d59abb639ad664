"""Amazon's instant payment notifications: SNS signature verification and the ASGI receiver."""

from adapters.erp.notifications import NotificationInbox
from adapters.ipn.certificates import CertificateStore, check_certificate_url
from adapters.ipn.errors import (
    BadEnvelope,
    BodyTooLarge,
    CertificateRefused,
    CertificateUnavailable,
    IpnError,
    Rejected,
    SignatureInvalid,
)
from adapters.ipn.handler import Answer, NotificationHandler
from adapters.ipn.message import Notification, parse_notification
from adapters.ipn.receiver import ReceiverOptions, create_app
from adapters.ipn.sns import Envelope, parse_envelope, string_to_sign, verify_envelope

__all__ = [
    "Answer",
    "BadEnvelope",
    "BodyTooLarge",
    "CertificateRefused",
    "CertificateStore",
    "CertificateUnavailable",
    "Envelope",
    "IpnError",
    "Notification",
    "NotificationHandler",
    "NotificationInbox",
    "ReceiverOptions",
    "Rejected",
    "SignatureInvalid",
    "check_certificate_url",
    "create_app",
    "parse_envelope",
    "parse_notification",
    "string_to_sign",
    "verify_envelope",
]

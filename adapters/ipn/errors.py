"""Why a notification was refused, with the HTTP status the receiver answers.

    IpnError                      (status 400 unless a subclass says otherwise)
    ├── BadEnvelope         400   body not JSON, a field missing or of the wrong type,
    │                             an inner IPN Message that cannot be read
    ├── BodyTooLarge        413   the body exceeds the receiver's size limit
    ├── Rejected            403   not provably from SNS, or not for us
    │   ├── CertificateRefused    the signing certificate URL or the certificate itself
    │   └── SignatureInvalid      the signature does not match the message
    └── CertificateUnavailable 503  the certificate could not be fetched right now

SNS does not retry a 4xx answer, so only conditions that may heal (a certificate host that
cannot be reached, a failing reconcile step) are answered 5xx.
"""

from __future__ import annotations


class IpnError(Exception):
    """A notification the receiver refuses; `str()` is one line naming what was wrong."""

    status = 400


class BadEnvelope(IpnError):
    """The request body is not a readable SNS envelope or IPN message."""

    status = 400


class BodyTooLarge(IpnError):
    """The request body is larger than the receiver accepts."""

    status = 413


class Rejected(IpnError):
    """The message is not provably from SNS, or not addressed to this merchant/topic."""

    status = 403


class CertificateRefused(Rejected):
    """The signing certificate URL is not trusted, or what it serves is not a usable cert."""


class SignatureInvalid(Rejected):
    """The signature does not verify against the certificate."""


class CertificateUnavailable(IpnError):
    """The certificate host could not be reached or failed; SNS retries a 5xx."""

    status = 503

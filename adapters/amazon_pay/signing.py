"""Request signing of Amazon Pay API v2 (AMZN-PAY-RSASSA-PSS and AMZN-PAY-RSASSA-PSS-V2).

Canonical request, string to sign and signature exactly as in amazon-pay-v2.md §1 (the PHP, Node,
Java and .NET SDKs agree). The private key lives only inside `RequestSigner` as a key object; no
repr, log line or exception of this module ever shows it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from adapters.amazon_pay.errors import ConfigurationError

# PSS salt length in bytes for each algorithm name; everything else is identical.
ALGORITHM_SALT: dict[str, int] = {"AMZN-PAY-RSASSA-PSS": 20, "AMZN-PAY-RSASSA-PSS-V2": 32}
EMPTY_PAYLOAD_HASH = hashlib.sha256(b"").hexdigest()
_WHITESPACE = re.compile(r"\s+")


def salt_length(algorithm: str) -> int:
    """The PSS salt length of a signing algorithm name."""
    try:
        return ALGORITHM_SALT[algorithm]
    except KeyError:
        known = ", ".join(ALGORITHM_SALT)
        raise ConfigurationError(
            f"unknown algorithm {algorithm!r}; expected one of {known}"
        ) from None


def pss_padding(algorithm: str) -> padding.PSS:
    """RSASSA-PSS padding (MGF1-SHA256) with the salt the algorithm prescribes."""
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt_length(algorithm))


def rfc3986(text: str) -> str:
    """Percent-encode all but the unreserved characters `A-Za-z0-9-_.~` (UTF-8, upper-case hex)."""
    return quote(text, safe="-_.~")


def canonical_uri(path: str) -> str:
    """The canonical URI: the decoded path, each character outside unreserved and `/` encoded."""
    return quote(path, safe="/-_.~") if path else "/"


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """Encoded `name=value` pairs sorted by name, then value, joined with `&` (empty if none)."""
    pairs = sorted((rfc3986(name), rfc3986(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in pairs)


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """The canonical header block (each line ends in a newline) and the SignedHeaders list."""
    normalized = sorted(
        (name.strip().lower(), _WHITESPACE.sub(" ", value.strip()))
        for name, value in headers.items()
    )
    block = "".join(f"{name}:{value}\n" for name, value in normalized)
    return block, ";".join(name for name, _ in normalized)


def canonical_request(
    method: str,
    path: str,
    params: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    payload: bytes,
) -> str:
    """The canonical request of §1.3 for the given (decoded) path and exact payload bytes."""
    block, signed = canonical_headers(headers)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(params),
            block,  # already ends in "\n": the empty line of the layout
            signed,
            hashlib.sha256(payload).hexdigest(),
        ]
    )


def string_to_sign(algorithm: str, request: str) -> str:
    """`AlgorithmName + "\\n" + hex(sha256(CanonicalRequest))`."""
    salt_length(algorithm)
    return f"{algorithm}\n{hashlib.sha256(request.encode()).hexdigest()}"


def format_amz_date(moment: datetime) -> str:
    """A tz-aware datetime in the compact UTC form Amazon signs, e.g. `20190923T231908Z`."""
    if moment.tzinfo is None:
        raise ValueError("x-amz-pay-date needs a tz-aware datetime")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """An RSA private key from PKCS#1 or PKCS#8 PEM; errors never contain the key text.

    The errors are raised outside the `except` block, so not even a chained exception (which a
    traceback or a pickled state could carry along) holds the loader's view of the key.
    """
    problem = ""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        problem = "is encrypted (password-protected): give the unencrypted PEM key"
    except (ValueError, UnsupportedAlgorithm):
        problem = "is not a readable unencrypted PEM key (PKCS#1 or PKCS#8)"
    if problem:
        raise ConfigurationError(f"the Amazon Pay private key {problem}")
    if not isinstance(key, rsa.RSAPrivateKey):
        kind = type(key).__name__.removeprefix("_").replace("PrivateKey", "") or "other"
        raise ConfigurationError(
            f"the Amazon Pay private key is not an RSA key ({kind}): Amazon Pay signs with "
            "RSASSA-PSS, use the RSA key of the public key id"
        )
    return key


class RequestSigner:
    """Signs requests for one public key id with one private key and algorithm."""

    __slots__ = ("_key", "algorithm", "public_key_id")

    def __init__(self, public_key_id: str, private_key_pem: bytes, algorithm: str) -> None:
        if not public_key_id.strip():
            raise ConfigurationError("the Amazon Pay public key id is empty")
        salt_length(algorithm)
        self.public_key_id = public_key_id.strip()
        self.algorithm = algorithm
        self._key = load_private_key(private_key_pem)

    def __repr__(self) -> str:
        return f"RequestSigner(public_key_id={self.public_key_id!r}, algorithm={self.algorithm!r})"

    def sign(self, text: str) -> str:
        """Base64 RSASSA-PSS signature of a string to sign."""
        raw = self._key.sign(text.encode(), pss_padding(self.algorithm), hashes.SHA256())
        return base64.b64encode(raw).decode("ascii")

    def authorization(
        self,
        method: str,
        path: str,
        params: Iterable[tuple[str, str]],
        headers: Mapping[str, str],
        payload: bytes,
    ) -> str:
        """The `authorization` header value signing exactly `headers` (all of them)."""
        request = canonical_request(method, path, params, headers, payload)
        signature = self.sign(string_to_sign(self.algorithm, request))
        _, signed = canonical_headers(headers)
        return (
            f"{self.algorithm} PublicKeyId={self.public_key_id}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )

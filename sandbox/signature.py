"""Verification of Amazon Pay v2 request signatures, written independently of the client.

amazon-pay-v2.md §1.7: parse `authorization`, require the five mandatory signed headers, rebuild
the canonical request from what was *received* (method, raw path, raw query, the listed headers,
the body bytes) and verify RSASSA-PSS/SHA-256 with the exact salt of the declared algorithm
(20 bytes for AMZN-PAY-RSASSA-PSS, 32 for AMZN-PAY-RSASSA-PSS-V2). The x-amz-pay-host must be
the real Amazon host of the region (our client talks to 127.0.0.1 but names the real host), the
`Host` the request reached us at (an SDK whose endpoint is http://127.0.0.1:8123 signs
`127.0.0.1:8123`), or one of the configured extra hosts (`--accept-host`); it is a signed header,
so whichever it is, the signature covers it exactly. x-amz-pay-date must be within the skew
tolerance of the sandbox clock and/or real time
(`SandboxConfig.skew_reference`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, quote, unquote_to_bytes

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sandbox.clock import parse_timestamp
from sandbox.config import REGION_ALIASES, REGION_HOSTS
from sandbox.errors import ApiError

ALGORITHM_SALT: dict[str, int] = {"AMZN-PAY-RSASSA-PSS": 20, "AMZN-PAY-RSASSA-PSS-V2": 32}
MANDATORY_HEADERS = (
    "accept",
    "content-type",
    "x-amz-pay-date",
    "x-amz-pay-host",
    "x-amz-pay-region",
)
_WHITESPACE = re.compile(r"\s+")
_AUTH_FIELDS = ("PublicKeyId", "SignedHeaders", "Signature")


@dataclass(frozen=True)
class Authorization:
    """The parts of an `authorization` header."""

    algorithm: str
    public_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> Authorization:
    """Split `<Algorithm> PublicKeyId=.., SignedHeaders=.., Signature=..` into its parts."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm not in ALGORITHM_SALT:
        raise ApiError(
            "InvalidHeaderValue",
            f"authorization: unknown algorithm {algorithm!r}; expected one of "
            + ", ".join(ALGORITHM_SALT),
        )
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, field_value = part.strip().partition("=")
        if sep:
            fields[name.strip()] = field_value.strip()
    missing = [name for name in _AUTH_FIELDS if not fields.get(name)]
    if missing:
        raise ApiError("InvalidHeaderValue", f"authorization: missing {', '.join(missing)}")
    signed = tuple(name.strip().lower() for name in fields["SignedHeaders"].split(";"))
    return Authorization(algorithm, fields["PublicKeyId"], signed, fields["Signature"])


def _rfc3986(text: str) -> str:
    return quote(text, safe="-_.~")


def canonical_uri(raw_path: str) -> str:
    """The canonical URI of a received raw path: decoded, then every byte outside the unreserved
    characters and `/` percent-encoded with upper-case hex (empty path -> `/`)."""
    if not raw_path:
        return "/"
    return quote(unquote_to_bytes(raw_path), safe="/-_.~")


def canonical_query_of(params: Iterable[tuple[str, str]]) -> str:
    """Encoded `name=value` pairs sorted by encoded name then value, joined with `&`."""
    pairs = sorted((_rfc3986(name), _rfc3986(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in pairs)


def canonical_query(raw_query: str) -> str:
    """The canonical query string of a received raw query (`+` and `%20` both mean a space)."""
    return canonical_query_of(parse_qsl(raw_query, keep_blank_values=True))


def canonical_request(
    method: str,
    uri: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: Iterable[str],
    payload: bytes,
) -> str:
    """The canonical request of §1.3 from an already canonical URI and query string."""
    names = list(signed_headers)
    block = "".join(f"{name}:{_WHITESPACE.sub(' ', headers[name].strip())}\n" for name in names)
    return "\n".join(
        [method.upper(), uri, query, block, ";".join(names), hashlib.sha256(payload).hexdigest()]
    )


def string_to_sign(algorithm: str, canonical: str) -> str:
    """`AlgorithmName + "\\n" + hex(sha256(CanonicalRequest))`."""
    return f"{algorithm}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """An RSA public key from PEM text; a clear ValueError otherwise."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError("not a PEM public key (-----BEGIN PUBLIC KEY-----)") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the public key is not an RSA key")
    return key


class KeyRing:
    """The registered public keys, by public key id."""

    def __init__(self, pems: Mapping[str, str] | None = None) -> None:
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        for key_id, pem in (pems or {}).items():
            self.register(key_id, pem)

    def register(self, public_key_id: str, pem: str) -> None:
        """Add or replace one public key."""
        if not public_key_id.strip():
            raise ValueError("the public key id is empty")
        self._keys[public_key_id.strip()] = load_public_key(pem)

    def get(self, public_key_id: str) -> rsa.RSAPublicKey | None:
        """The key of an id, or None."""
        return self._keys.get(public_key_id)

    def ids(self) -> list[str]:
        """The registered ids."""
        return sorted(self._keys)


@dataclass(frozen=True)
class ReceivedRequest:
    """What arrived on the wire, before any decoding."""

    method: str
    raw_path: str
    raw_query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class SignatureVerifier:
    """Checks a received request against the key ring, the region's host and the clock."""

    def __init__(
        self,
        keys: KeyRing,
        region: str,
        max_skew: timedelta | None,
        clocks: Callable[[], list[datetime]],
        accept_hosts: Iterable[str] = (),
    ) -> None:
        self.keys = keys
        self.region = region
        self.max_skew = max_skew
        self.accept_hosts = frozenset(host.strip().lower() for host in accept_hosts)
        self._clocks = clocks  # the dates a request may be close to (sandbox and/or real time)

    def verify(self, request: ReceivedRequest) -> Authorization:
        """The verified authorization; ApiError (400 MissingHeader, 401 ...) otherwise."""
        value = request.headers.get("authorization")
        if not value:
            raise ApiError("MissingHeader", "the authorization header is missing")
        auth = parse_authorization(value)
        for name in MANDATORY_HEADERS:
            if name not in auth.signed_headers:
                raise ApiError("MissingHeader", f"the {name} header must be signed")
        for name in auth.signed_headers:
            if name not in request.headers:
                raise ApiError("MissingHeader", f"the signed header {name} is missing")
        key = self.keys.get(auth.public_key_id)
        if key is None:
            raise ApiError("InvalidRequestSignature", f"unknown public key id {auth.public_key_id}")
        self._check_signature(key, auth, request)
        self._check_host(request.headers)
        self._check_date(request.headers["x-amz-pay-date"])
        return auth

    def _check_signature(
        self, key: rsa.RSAPublicKey, auth: Authorization, request: ReceivedRequest
    ) -> None:
        canonical = canonical_request(
            request.method,
            canonical_uri(request.raw_path),
            canonical_query(request.raw_query),
            request.headers,
            auth.signed_headers,
            request.body,
        )
        try:
            signature = base64.b64decode(auth.signature, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError("InvalidRequestSignature", "the signature is not base64") from None
        salt = ALGORITHM_SALT[auth.algorithm]
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt)
        try:
            key.verify(
                signature, string_to_sign(auth.algorithm, canonical).encode(), pss, hashes.SHA256()
            )
        except InvalidSignature:
            raise ApiError(
                "InvalidRequestSignature",
                f"the signature does not match the request ({auth.algorithm}, salt {salt})",
            ) from None

    def _check_host(self, headers: Mapping[str, str]) -> None:
        expected = REGION_HOSTS[self.region]
        host = headers["x-amz-pay-host"].strip().lower()
        reached_at = headers.get("host", "").strip().lower()
        if host != expected and host != reached_at and host not in self.accept_hosts:
            also = ", ".join(repr(name) for name in sorted({reached_at, *self.accept_hosts} - {""}))
            raise ApiError(
                "InvalidRequestSignature",
                f"x-amz-pay-host is {host!r}; expected {expected!r}"
                + (f" or {also}" if also else ""),
            )
        region = REGION_ALIASES.get(headers["x-amz-pay-region"].strip().lower())
        if region != self.region:
            raise ApiError(
                "InvalidRequestSignature",
                f"x-amz-pay-region {headers['x-amz-pay-region']!r} does not match {expected}",
            )

    def _check_date(self, value: str) -> None:
        try:
            signed_at = parse_timestamp(value.strip())
        except ValueError as exc:
            raise ApiError("InvalidHeaderValue", f"x-amz-pay-date: {exc}") from None
        if self.max_skew is None:
            return
        skew = min(abs(now - signed_at) for now in self._clocks())
        if skew > self.max_skew:
            raise ApiError(
                "InvalidRequestSignature",
                f"x-amz-pay-date {value} is {int(skew.total_seconds())} s away from server time "
                f"(tolerance {int(self.max_skew.total_seconds())} s)",
            )

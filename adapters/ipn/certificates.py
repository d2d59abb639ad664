"""SNS signing certificates: which URLs are trusted, fetching them safely, caching by URL.

A certificate URL is trusted when it is `https://sns.<region>.amazonaws.com[.cn]/....pem` (the
AWS validator's rule), or when it is listed verbatim in `trusted_urls` (the local sandbox's
`http://127.0.0.1:PORT/...pem`; never trusted by default), or pinned with its PEM up front.
Fetching uses httpx with a timeout, a size limit and no redirects at all: a redirect could lead
off the trusted host. The chain is not verified (as in AWS's own validators): trust comes from
fetching over https from an SNS host.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from adapters.ipn.errors import CertificateRefused, CertificateUnavailable
from adapters.ipn.fetch_gate import FAILURE_TTL_SECONDS, MAX_FETCHES, FetchGate

logger = logging.getLogger(__name__)

SNS_HOST = re.compile(r"sns\.[a-zA-Z0-9\-]{3,}\.amazonaws\.com(\.cn)?")
MAX_CERT_BYTES = 64 * 1024
FETCH_TIMEOUT_SECONDS = 5.0
MAX_CACHED = 64


def is_sns_https_url(url: str) -> bool:
    """Whether `url` is https on an `sns.<region>.amazonaws.com` host (default port)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return False
    return (
        parsed.scheme == "https"
        and SNS_HOST.fullmatch(parsed.host) is not None
        and parsed.port in (None, 443)
        and not parsed.userinfo
    )


def check_certificate_url(url: str, trusted_urls: Collection[str] = ()) -> None:
    """Refuse a certificate URL that is neither an SNS https .pem URL nor listed as trusted."""
    if url in trusted_urls:
        return
    if not is_sns_https_url(url):
        raise CertificateRefused(
            f"SigningCertURL {url[:200]!r} is not https on an sns.<region>.amazonaws.com host"
        )
    if not httpx.URL(url).path.endswith(".pem"):
        raise CertificateRefused(f"SigningCertURL {url[:200]!r} does not end with .pem")


def load_certificate(pem: bytes, url: str) -> x509.Certificate:
    """The certificate in PEM bytes served at `url`."""
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise CertificateRefused(f"{url[:200]} does not serve a PEM certificate") from None


def usable_key(
    certificate: x509.Certificate, url: str, now: datetime | None = None
) -> RSAPublicKey:
    """The certificate's RSA public key, if the certificate is valid now."""
    moment = now or datetime.now(UTC)
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        raise CertificateRefused(f"certificate at {url[:200]} is not valid at {moment:%Y-%m-%d}")
    key = certificate.public_key()
    if not isinstance(key, RSAPublicKey):
        raise CertificateRefused(f"certificate at {url[:200]} has no RSA key")
    return key


class CertificateStore:
    """Signing certificates by URL: checked, fetched once, cached (bounded LRU), keys handed out.

    Thread-safe: the receiver verifies on a thread pool. Fetches go through a `FetchGate`: two
    messages arriving together for an uncached URL cause one download, a failed download is not
    retried for `failure_ttl` seconds, and only a few downloads run at once.
    """

    def __init__(
        self,
        trusted_urls: Collection[str] = (),
        pinned: Mapping[str, bytes] | None = None,
        *,
        timeout: float = FETCH_TIMEOUT_SECONDS,
        max_bytes: int = MAX_CERT_BYTES,
        max_entries: int = MAX_CACHED,
        transport: httpx.BaseTransport | None = None,
        failure_ttl: float = FAILURE_TTL_SECONDS,
        max_fetches: int = MAX_FETCHES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.trusted_urls = frozenset(trusted_urls)
        self._pinned = dict(pinned or {})
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._transport = transport
        self._cache: OrderedDict[str, x509.Certificate] = OrderedDict()
        self._lock = threading.Lock()
        self._gate: FetchGate[x509.Certificate] = FetchGate(
            max_fetches=max_fetches,
            failure_ttl=failure_ttl,
            wait_seconds=4 * timeout,  # connect, read, ... each may take `timeout`
            clock=clock,
        )
        self.fetches = 0

    def public_key(self, url: str) -> RSAPublicKey:
        """The key of the certificate at `url`, after checking that the URL is trusted."""
        if url in self._pinned:
            return usable_key(load_certificate(self._pinned[url], url), url)
        check_certificate_url(url, self.trusted_urls)
        certificate = self._cached(url) or self._gate.run(url, lambda: self._download(url))
        # Checked on every use: a cached certificate may expire while the process runs.
        return usable_key(certificate, url)

    def _download(self, url: str) -> x509.Certificate:
        certificate = self._cached(url)  # a fetch that just finished may have stored it
        if certificate is None:
            certificate = load_certificate(self._fetch(url), url)
            self._remember(url, certificate)
        return certificate

    def _cached(self, url: str) -> x509.Certificate | None:
        with self._lock:
            certificate = self._cache.get(url)
            if certificate is not None:
                self._cache.move_to_end(url)
            return certificate

    def _remember(self, url: str, certificate: x509.Certificate) -> None:
        with self._lock:
            self._cache[url] = certificate
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)

    def _fetch(self, url: str) -> bytes:
        self.fetches += 1
        logger.info("fetching SNS signing certificate %s", url[:200])
        # identity: a compressed body could expand far past the size limit in one chunk
        headers = {"accept-encoding": "identity"}
        try:
            with (
                httpx.Client(
                    timeout=self._timeout, follow_redirects=False, transport=self._transport
                ) as client,
                client.stream("GET", url, headers=headers) as response,
            ):
                self._check_status(url, response)
                return self._read_limited(url, response)
        except httpx.HTTPError as problem:
            raise CertificateUnavailable(
                f"certificate {url[:200]} unavailable: {type(problem).__name__}"
            ) from None

    @staticmethod
    def _check_status(url: str, response: httpx.Response) -> None:
        if response.is_redirect:
            raise CertificateRefused(f"certificate {url[:200]} redirects; redirects are refused")
        if response.status_code >= 500:
            raise CertificateUnavailable(
                f"certificate {url[:200]} unavailable: HTTP {response.status_code}"
            )
        if response.status_code != 200:
            raise CertificateRefused(
                f"certificate {url[:200]} answered HTTP {response.status_code}"
            )

    def _read_limited(self, url: str, response: httpx.Response) -> bytes:
        too_large = CertificateRefused(f"certificate {url[:200]} exceeds {self._max_bytes} bytes")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise too_large
        data = bytearray()
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > self._max_bytes:
                raise too_large
        return bytes(data)

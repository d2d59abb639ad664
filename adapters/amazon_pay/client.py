"""The Amazon Pay API v2 client: configuration, and the operations of `PaymentsApi`/`ReportsApi`.

Usage:
    with AmazonPayClient.from_settings(AmazonPaySettings()) as client:
        charge = client.capture_charge(
            "S01-1234567-1234567-C000001",
            capture_amount=Money("14.00", "EUR"),
            idempotency_key="inv-4711-capture-1",
        )

The client is synchronous and thread-safe (httpx.Client and the limiters are).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx

from adapters.amazon_pay.clock import Clock, SystemClock
from adapters.amazon_pay.endpoints import Endpoint, resolve_endpoint
from adapters.amazon_pay.errors import ConfigurationError
from adapters.amazon_pay.limiter import Limiter, LimiterKind, choose_limiter
from adapters.amazon_pay.payments import PaymentsApi
from adapters.amazon_pay.reporting import ReportsApi
from adapters.amazon_pay.retry import RetryPolicy
from adapters.amazon_pay.session import ApiSession
from adapters.amazon_pay.signing import RequestSigner
from adapters.amazon_pay.throttle import LIVE_QUOTAS, SANDBOX_QUOTAS, Quota, QuotaSet
from adapters.private_key import redact
from adapters.settings import AmazonPaySettings

DEFAULT_ALGORITHM = "AMZN-PAY-RSASSA-PSS-V2"


class AmazonPayClient(PaymentsApi, ReportsApi):
    """Synchronous, thread-safe Amazon Pay API v2 client for one key and region."""

    def __init__(
        self,
        public_key_id: str,
        private_key_pem: bytes,
        *,
        region: str = "eu",
        sandbox: bool = True,
        algorithm: str = DEFAULT_ALGORITHM,
        base_url: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        quotas: QuotaSet | Mapping[str, Quota] | None = None,
        throttle: bool = True,
        limiter: Limiter | LimiterKind = "auto",
        redis_url: str | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Build a client.

        Args:
            sandbox: environment for legacy key ids; `SANDBOX-`/`LIVE-` key ids decide themselves.
            base_url: send requests here instead of Amazon (e.g. a local sandbox); the signed
                `x-amz-pay-host`/`-region` still name Amazon's host and region.
            quotas: "live", "sandbox" or an explicit table; default: the environment's quotas.
            throttle: False disables client-side pacing altogether.
            limiter: who paces (limiter.py): a limiter, or "local", "prefect", "redis" or
                "auto" (Redis when `redis_url` is given, else Prefect's shared limits when
                PREFECT_API_URL is set, else this process's buckets).
            redis_url: the Redis of the shared token buckets.
            clock: time source for signing, backoff and pacing (tests pass a fake one).
            transport: httpx transport (tests pass `httpx.MockTransport`).
        """
        endpoint = resolve_endpoint(public_key_id, region, sandbox, base_url)
        signer = RequestSigner(public_key_id, private_key_pem, algorithm)
        clock = clock or SystemClock()
        pacing: Limiter | None = None
        if throttle:
            chosen = endpoint.environment if quotas is None else quotas
            if isinstance(chosen, str) and chosen not in ("live", "sandbox"):
                raise ConfigurationError(f"quota set must be 'live' or 'sandbox', got {chosen!r}")
            if isinstance(chosen, str):
                chosen = LIVE_QUOTAS if chosen == "live" else SANDBOX_QUOTAS
            pacing = (
                choose_limiter(limiter, chosen, clock, redis_url)
                if isinstance(limiter, str)
                else limiter
            )
        http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)
        self._session = ApiSession(signer, endpoint, http, clock, retry or RetryPolicy(), pacing)

    @classmethod
    def from_settings(cls, settings: AmazonPaySettings, **options: Any) -> AmazonPayClient:
        """A client configured from `AMAZON_PAY_*` settings; `options` go to the constructor."""
        secret = settings.private_key.get_secret_value()
        problem = ""
        try:
            pem = settings.private_key_pem()
        except ValueError as exc:
            problem = str(exc)  # fixed texts (adapters.private_key); redacted all the same
        if problem:
            # Raised outside the except block: no chained exception carries the value either.
            raise ConfigurationError(redact(problem, secret))
        if settings.quotas != "auto":
            options.setdefault("quotas", settings.quotas)
        options.setdefault("limiter", settings.limiter)
        options.setdefault("redis_url", settings.redis_url)
        try:
            return cls(
                settings.public_key_id,
                pem,
                region=settings.region,
                sandbox=settings.sandbox,
                algorithm=settings.algorithm,
                base_url=settings.base_url,
                **options,
            )
        except ConfigurationError as exc:
            problem = str(exc)
        raise ConfigurationError(redact(problem, secret))

    @property
    def endpoint(self) -> Endpoint:
        """Where the requests go and which environment they address."""
        return self._session.endpoint

    def __repr__(self) -> str:
        e = self.endpoint
        return (
            f"AmazonPayClient(public_key_id={self._session.signer.public_key_id!r}, "
            f"algorithm={self._session.signer.algorithm!r}, region={e.region!r}, "
            f"environment={e.environment!r}, url={e.origin + e.base_path + e.api_prefix!r})"
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._session.http.close()

    def __enter__(self) -> AmazonPayClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

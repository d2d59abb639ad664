"""One signed, throttled and retried JSON exchange with Amazon Pay, and report downloads.

Per attempt: take a token for the operation, stamp a fresh `x-amz-pay-date`, sign the five
mandatory headers (plus the idempotency key on POST) over the body bytes serialized once, send
exactly those bytes with `content=`, and map the answer to a model or an error. Log lines carry
operation, path, status and request id only: never headers, bodies or the key.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from adapters.amazon_pay.clock import Clock
from adapters.amazon_pay.endpoints import Endpoint
from adapters.amazon_pay.errors import (
    ApiError,
    UnexpectedResponse,
    error_from_response,
    error_from_transport,
)
from adapters.amazon_pay.limiter import Limiter
from adapters.amazon_pay.retry import RetryPolicy, call_with_retries, parse_retry_after
from adapters.amazon_pay.signing import RequestSigner, format_amz_date
from domain.idempotency import VALID_KEY

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
JSON_TYPE = "application/json"
_SIMULATION_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_idempotency_key(key: object) -> str:
    """The key if it is 1-32 characters of `A-Za-z0-9_-`; ValueError otherwise."""
    if not isinstance(key, str) or not VALID_KEY.fullmatch(key):
        raise ValueError(f"idempotency key must be 1-32 characters of A-Za-z0-9_-, got {key!r}")
    return key


def check_simulation_code(code: object) -> str:
    """The sandbox simulation code if it is 1-64 characters of `A-Za-z0-9_-`."""
    if not isinstance(code, str) or not _SIMULATION_CODE.fullmatch(code):
        raise ValueError(f"simulation code must be 1-64 characters of A-Za-z0-9_-, got {code!r}")
    return code


def serialize(body: dict[str, Any] | None) -> bytes:
    """The request body bytes, produced once: what is hashed is what is sent."""
    if body is None:
        return b""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class ApiSession:
    """Sends signed requests for one key to one endpoint over one httpx client."""

    def __init__(
        self,
        signer: RequestSigner,
        endpoint: Endpoint,
        http: httpx.Client,
        clock: Clock,
        retry: RetryPolicy,
        throttle: Limiter | None,
    ) -> None:
        self.signer = signer
        self.endpoint = endpoint
        self.http = http
        self.clock = clock
        self.retry = retry
        self.throttle = throttle

    def signed_headers(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]],
        payload: bytes,
        idempotency_key: str | None,
    ) -> dict[str, str]:
        """The signed header set of one attempt, `authorization` included."""
        headers = {
            "accept": JSON_TYPE,
            "content-type": JSON_TYPE,
            "x-amz-pay-date": format_amz_date(self.clock.now()),
            "x-amz-pay-host": self.endpoint.host,
            "x-amz-pay-region": self.endpoint.region,
        }
        if idempotency_key is not None:
            headers["x-amz-pay-idempotency-key"] = idempotency_key
        headers["authorization"] = self.signer.authorization(method, path, params, headers, payload)
        return headers

    def call(
        self,
        model: type[M],
        operation: str,
        method: str,
        resource: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        simulation_code: str | None = None,
    ) -> M:
        """Call the API with retries and return the answer as `model`.

        Raises ValueError before sending when a POST lacks a valid idempotency key.
        """
        if method == "POST" or idempotency_key is not None:
            check_idempotency_key(idempotency_key)
        if simulation_code is not None:
            check_simulation_code(simulation_code)
        path = self.endpoint.path(resource)
        url = self.endpoint.url(path, params)
        payload = serialize(body)
        what = f"{operation} ({method} {path})"

        def attempt() -> M:
            if self.throttle is not None:
                self.throttle.acquire(operation)
            headers = self.signed_headers(method, path, params, payload, idempotency_key)
            if simulation_code is not None:
                headers["x-amz-pay-simulation-code"] = simulation_code  # unsigned, as PHP does
            response = self._send(method, url, headers, payload, what)
            return self._decode(model, response, what)

        return call_with_retries(attempt, self.retry, self.clock.sleep, what)

    def _send(
        self, method: str, url: str, headers: dict[str, str], payload: bytes, what: str
    ) -> httpx.Response:
        try:
            response = self.http.request(method, url, headers=headers, content=payload)
        except httpx.TransportError as exc:
            raise error_from_transport(exc, what) from None
        request_id = response.headers.get("x-amz-pay-request-id")
        log.debug("%s -> %d (x-amz-pay-request-id %s)", what, response.status_code, request_id)
        if response.is_success:
            return response
        raise self._error(response)

    def _error(self, response: httpx.Response) -> ApiError:
        retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.now())
        return error_from_response(response, retry_after)

    @staticmethod
    def _decode(model: type[M], response: httpx.Response, what: str) -> M:
        try:
            data = json.loads(response.content, parse_float=Decimal)  # never a float amount
        except ValueError:
            raise UnexpectedResponse(
                f"{what}: HTTP {response.status_code} answer is not JSON"
            ) from None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(root)"
            raise UnexpectedResponse(
                f"{what}: answer is not a valid {model.__name__}: {where}: {first['msg']}"
            ) from None

    def download(self, url: str, max_bytes: int) -> bytes:
        """GET a pre-signed URL (no Amazon signature), with retries, at most `max_bytes`."""
        parsed = httpx.URL(url)
        # The query of a pre-signed URL is a short-lived credential: keep it out of messages.
        what = f"report download ({parsed.scheme}://{parsed.host}{parsed.path})"

        def attempt() -> bytes:
            try:
                with self.http.stream("GET", url) as response:
                    if not response.is_success:
                        response.read()
                        raise self._error(response)
                    return self._read_bounded(response, max_bytes, what)
            except httpx.TransportError as exc:
                raise error_from_transport(exc, what) from None

        return call_with_retries(attempt, self.retry, self.clock.sleep, what)

    @staticmethod
    def _read_bounded(response: httpx.Response, max_bytes: int, what: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise UnexpectedResponse(f"{what}: larger than the limit of {max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

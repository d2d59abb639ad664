"""The front door of the v2 API: one ASGI app for `/v2`, `/sandbox/v2` and `/live/v2`.

Per request, in order: apply due transitions (lazily, on the sandbox clock); verify the
signature; pick the environment (path prefix, else the key's SANDBOX-/LIVE- prefix); route;
throttle (429); injected latency and 5xx faults (before any change); simulation code check;
idempotency (POST: replay or 400 DuplicateIdempotencyKey); run the operation; store the answer
under its idempotency key; then, if the fault injector says so, hold the answer back
(latencyAfterCommitMs) and/or drop the connection after the commit: the response head is sent
without its body and the app returns, so uvicorn closes the connection and the client sees a
transport error while the state change exists (a retry with the same idempotency key gets the
stored answer: replays are never held or dropped).
Every answer carries `x-amz-pay-request-id`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from sandbox.core import Sandbox
from sandbox.errors import ApiError
from sandbox.idempotency import StoredAnswer, check_key, fingerprint
from sandbox.payloads import parse_body
from sandbox.routes import Call, Operation, match
from sandbox.signature import ReceivedRequest
from sandbox.simulation import check_simulation

log = logging.getLogger(__name__)
PREFIXES = {"": None, "sandbox": "Sandbox", "live": "Live"}


@dataclass(frozen=True)
class Outcome:
    """What to send back."""

    status: int
    body: bytes
    drop: bool = False


def _json(data: dict[str, Any]) -> bytes:
    # default=str: numbers a client sent inside echoed objects were read as Decimal.
    return json.dumps(data, default=str).encode()


def split_path(path: str) -> tuple[str, str]:
    """(environment prefix, resource) of `/[sandbox|live]/v2/<resource>`."""
    parts = path.lstrip("/").split("/", 2)
    if parts[0] == "v2":
        return "", "/".join(parts[1:])
    if len(parts) >= 2 and parts[0] in ("sandbox", "live") and parts[1] == "v2":
        return parts[0], parts[2] if len(parts) > 2 else ""
    raise ApiError("ResourceNotFound", f"no resource {path}")


def environment_of(prefix: str, public_key_id: str) -> str:
    """Sandbox or Live: the path prefix decides, else the key's SANDBOX-/LIVE- prefix."""
    upper = public_key_id.upper()
    by_key = (
        "Sandbox" if upper.startswith("SANDBOX") else "Live" if upper.startswith("LIVE") else None
    )
    by_path = PREFIXES[prefix]
    if by_path and by_key and by_path != by_key:
        raise ApiError("InvalidRequest", f"a {by_key} key cannot call the {by_path} environment")
    environment = by_path or by_key
    if environment is None:
        raise ApiError(
            "InvalidRequest",
            f"public key id {public_key_id} has no SANDBOX-/LIVE- prefix; "
            "call /sandbox/v2 or /live/v2",
        )
    return environment


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


class ApiGateway:
    """The ASGI app of the v2 API."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        request_id = str(uuid.uuid4())
        try:
            outcome = await self._process(scope, body)
        except ApiError as error:
            outcome = Outcome(error.status, _json(error.body()))
        except Exception:
            log.exception("sandbox operation failed")
            failure = ApiError("InternalServerError", "the sandbox failed; see its log")
            outcome = Outcome(failure.status, _json(failure.body()))
        headers = {"x-amz-pay-request-id": request_id}
        if outcome.drop:
            raw = [
                (b"content-type", b"application/json"),
                (b"x-amz-pay-request-id", request_id.encode()),
            ]
            raw.append((b"content-length", str(len(outcome.body)).encode()))
            await send({"type": "http.response.start", "status": outcome.status, "headers": raw})
            return  # no body: uvicorn closes the connection mid-response
        response = Response(outcome.body, outcome.status, headers, "application/json")
        await response(scope, receive, send)

    async def _process(self, scope: Scope, body: bytes) -> Outcome:
        sandbox = self.sandbox
        prefix, resource, received = self._received(scope, body)
        auth = sandbox.verifier.verify(received)
        environment = environment_of(prefix, auth.public_key_id)
        operation, object_id = match(received.method, resource)
        sandbox.throttle.check(operation.name)
        await self._inject_faults(operation.name)
        code = received.headers.get("x-amz-pay-simulation-code")
        simulation = check_simulation(operation.name, code, environment)
        key = print_ = None
        if operation.needs_idempotency_key:
            key = check_key(received.headers.get("x-amz-pay-idempotency-key"))
            print_ = fingerprint(received.method, received.raw_path, body)
            stored = sandbox.idempotency.replay(environment, key, print_)
            if stored is not None:
                return Outcome(stored.status, stored.body)  # replays are never dropped
        status, payload = self._run(operation, environment, object_id, received, simulation)
        if key is not None and print_ is not None:
            sandbox.idempotency.store(environment, key, StoredAnswer(print_, status, payload))
        if not operation.mutating or status >= 400:
            return Outcome(status, payload)
        hold = sandbox.faults.latency_after_commit_seconds(operation.name)
        if hold:
            await asyncio.sleep(hold)  # committed and visible, the answer not yet sent
        return Outcome(status, payload, sandbox.faults.drop_after_commit(operation.name))

    def _received(self, scope: Scope, body: bytes) -> tuple[str, str, ReceivedRequest]:
        """(environment prefix, resource, the request as received); applies due transitions."""
        headers = _headers(scope)
        self.sandbox.learn_base_url(scope.get("scheme", "http"), headers.get("host"))
        self.sandbox.tick()
        prefix, resource = split_path(scope["path"])
        raw_path = scope.get("raw_path") or scope["path"].encode()
        received = ReceivedRequest(
            method=scope["method"],
            raw_path=raw_path.decode("latin-1"),
            raw_query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )
        return prefix, resource, received

    async def _inject_faults(self, operation: str) -> None:
        delay = self.sandbox.faults.latency_seconds(operation)
        if delay:
            await asyncio.sleep(delay)
        status = self.sandbox.faults.error_status(operation)
        if status is not None:
            code = "InternalServerError" if status == 500 else "ServiceUnavailable"
            raise ApiError(code, f"injected fault {status}")

    def _run(
        self,
        operation: Operation,
        environment: str,
        object_id: str,
        received: ReceivedRequest,
        simulation: str | None,
    ) -> tuple[int, bytes]:
        """Run the operation under the ledger lock; its ApiErrors are answers too."""
        sandbox = self.sandbox
        query = dict(parse_qsl(received.raw_query, keep_blank_values=True))
        try:
            parsed = parse_body(received.body) if operation.mutating else {}
            with sandbox.ledger.lock:
                sandbox.tick()
                call = Call(environment, object_id, parsed, query, simulation, sandbox.now())
                status, result = operation.handler(sandbox, call)
        except ApiError as error:
            return error.status, _json(error.body())
        return status, _json(result)

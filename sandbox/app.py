"""The sandbox's ASGI app: `create_app(config) -> Starlette`.

Routes: the v2 API under `/v2`, `/sandbox/v2` and `/live/v2`; the IPN signing certificate at
`/_sns/SimpleNotificationService-sandbox.pem`; report document downloads at `/_documents/{token}`
(unsigned, like a pre-signed S3 URL; 403 once expired); the admin API under `/_admin` only when
`config.admin` is on (404 otherwise). The lifespan starts the IPN delivery thread and a ticker
that applies due transitions every `tick_interval_seconds`, so async outcomes notify on their own.
With a state file (`SandboxConfig.state_file`), the state is saved before the answer of every
request that may change it (any method but GET/HEAD), after ticks that applied transitions, and
at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.admin import admin_routes
from sandbox.config import SandboxConfig
from sandbox.core import Sandbox
from sandbox.gateway import ApiGateway
from sandbox.notifications import CERT_PATH

EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
)


class _SaveAfterChanges:
    """ASGI middleware: save the state of a request that may have changed it before answering
    (a client that got an answer finds its change after a crash)."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app, self.sandbox = app, sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return

        async def save_then_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.sandbox.save()
            await send(message)

        await self.app(scope, receive, save_then_send)


async def _tick_forever(sandbox: Sandbox, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        sandbox.tick()


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A fresh sandbox (its own clock, ledger, keys and certificate) as a Starlette app."""
    sandbox = Sandbox(config or SandboxConfig())
    gateway = ApiGateway(sandbox)

    async def certificate(request: Request) -> Response:
        return Response(sandbox.notifier.signer.cert_pem, media_type="application/x-pem-file")

    async def download(request: Request) -> Response:
        with sandbox.ledger.lock:
            content = sandbox.reports.download(request.path_params["token"], sandbox.now())
        if content is None:
            return Response(EXPIRED, 403, media_type="application/xml")
        return Response(content, media_type="text/csv; charset=utf-8")

    routes: list[BaseRoute] = [
        Route("/v2/{rest:path}", gateway),
        Route("/sandbox/v2/{rest:path}", gateway),
        Route("/live/v2/{rest:path}", gateway),
        Route(CERT_PATH, certificate),
        Route("/_documents/{token}", download),
    ]
    if sandbox.config.admin:
        routes.append(Mount("/_admin", routes=admin_routes(sandbox)))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sandbox.notifier.start()
        interval = sandbox.config.tick_interval_seconds
        ticker = asyncio.create_task(_tick_forever(sandbox, interval)) if interval else None
        try:
            yield
        finally:
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            sandbox.notifier.stop()
            sandbox.save()

    middleware = [Middleware(_SaveAfterChanges, sandbox=sandbox)] if sandbox.store else []
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.sandbox = sandbox
    return app

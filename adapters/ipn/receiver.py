"""The ASGI notification receiver: `create_app(engine, on_notification, options) -> Starlette`.

One route (POST `options.path`, `/ipn` by default). The body is read up to a size limit, then
verification, storing and the reconcile step run on Starlette's thread pool (they block on
httpx, the database and the step). Answers are one line of text/plain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from adapters.erp.notifications import NotificationInbox
from adapters.ipn.certificates import CertificateStore
from adapters.ipn.errors import BodyTooLarge
from adapters.ipn.handler import Answer, NotificationHandler
from adapters.ipn.message import Notification

MAX_BODY_BYTES = 64 * 1024  # Amazon's IPNs are about 2 KB; SNS's own ceiling is 256 KB


@dataclass(frozen=True)
class ReceiverOptions:
    """How the receiver is set up; the defaults trust only Amazon's own SNS hosts."""

    # Extra certificate URLs to trust verbatim, e.g. the local sandbox's
    # http://127.0.0.1:PORT/_sns/SimpleNotificationService-sandbox.pem. Empty by default.
    trusted_cert_urls: tuple[str, ...] = ()
    # When set, only these TopicArns are accepted (403 otherwise).
    topic_arns: tuple[str, ...] = ()
    # When set, an IPN's MerchantID must equal it (403 otherwise).
    merchant_id: str | None = None
    # Visit the SubscribeURL of a verified SubscriptionConfirmation (off: log and store only).
    confirm_subscriptions: bool = False
    max_body_bytes: int = MAX_BODY_BYTES
    path: str = "/ipn"


def create_app(
    engine: Engine,
    on_notification: Callable[[Notification], None],
    options: ReceiverOptions | None = None,
    *,
    certificates: CertificateStore | None = None,
) -> Starlette:
    """The receiver app; `certificates` replaces the store built from the options' trust list."""
    settings = options or ReceiverOptions()
    handler = NotificationHandler(
        NotificationInbox(engine),
        certificates or CertificateStore(settings.trusted_cert_urls),
        on_notification,
        topic_arns=settings.topic_arns,
        merchant_id=settings.merchant_id,
        confirm_subscriptions=settings.confirm_subscriptions,
    )

    async def receive(request: Request) -> PlainTextResponse:
        try:
            raw = await _read_body(request, settings.max_body_bytes)
        except BodyTooLarge as problem:
            return _reply(Answer(problem.status, str(problem)))
        except ClientDisconnect:
            return _reply(Answer(400, "client disconnected before the body was read"))
        message_type = request.headers.get("x-amz-sns-message-type")
        return _reply(await run_in_threadpool(handler.handle, raw, message_type))

    app = Starlette(routes=[Route(settings.path, receive, methods=["POST"])])
    app.state.handler = handler
    return app


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to exceed `limit` bytes."""
    too_large = BodyTooLarge(f"body exceeds {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _reply(answer: Answer) -> PlainTextResponse:
    return PlainTextResponse(answer.text + "\n", status_code=answer.status)

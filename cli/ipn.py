"""`amazon-payments ipn`: the notification receiver Amazon's SNS posts to."""

from __future__ import annotations

import logging
from collections.abc import Callable

import typer
import uvicorn

from adapters.ipn import Notification, ReceiverOptions, create_app
from cli.context import engine

logger = logging.getLogger("cli.ipn")


app = typer.Typer(help="Amazon's instant payment notifications (IPN).", no_args_is_help=True)


def reconcile_step() -> Callable[[Notification], None]:
    """The step each first delivery triggers: re-read the object at Amazon and apply its state.

    It is the same reconcile path as polling (`services.notifications`); an object that belongs
    to no document of ours is logged and left alone.
    """
    from services import notifications
    from services.resources import Resources

    res = Resources.from_environment()  # the client is built at the first call to Amazon

    def reconcile(notification: Notification) -> None:
        kind, object_id = notification.object_type, notification.object_id
        if notifications.reconcile_object(res, kind, object_id) is None:
            logger.info("%s %s is not ours", kind, object_id)

    return reconcile


@app.command("serve")
def serve(
    port: int = typer.Option(..., "--port", help="TCP port to listen on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind."),
    trust_cert_url: list[str] = typer.Option(
        [],
        "--trust-cert-url",
        help="Extra signing-certificate URL to trust verbatim (e.g. the local sandbox's); "
        "repeatable. Default: only https://sns.<region>.amazonaws.com/....pem.",
    ),
    topic_arn: list[str] = typer.Option(
        [], "--topic-arn", help="Accept only these TopicArns; repeatable."
    ),
    merchant_id: str | None = typer.Option(
        None, "--merchant-id", help="Accept only IPNs for this MerchantID."
    ),
    confirm_subscriptions: bool = typer.Option(
        False, "--confirm-subscriptions", help="Visit the SubscribeURL of verified confirmations."
    ),
    path: str = typer.Option("/ipn", "--path", help="URL path SNS posts to."),
    max_body_bytes: int = typer.Option(64 * 1024, "--max-body-bytes", min=1024),
) -> None:
    """Receive SNS notifications: verify, store once, reconcile."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    options = ReceiverOptions(
        trusted_cert_urls=tuple(trust_cert_url),
        topic_arns=tuple(topic_arn),
        merchant_id=merchant_id,
        confirm_subscriptions=confirm_subscriptions,
        max_body_bytes=max_body_bytes,
        path=path,
    )
    receiver = create_app(engine(), reconcile_step(), options)
    # One process: the in-flight guard against concurrent duplicates is per process.
    uvicorn.run(receiver, host=host, port=port, workers=1, log_level="info")


@app.callback()
def main() -> None:
    """Amazon's instant payment notifications (IPN)."""

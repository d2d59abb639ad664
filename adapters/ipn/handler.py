"""What happens to one SNS request: verify, store once, hand on, answer.

The answer decides whether SNS tries again: 2xx = done, 4xx = never again (bad or forged
input), 5xx = retry later (a reconcile step that failed, a certificate host that was down).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass

import httpx

from adapters.erp.notifications import NotificationInbox
from adapters.ipn.certificates import CertificateStore, is_sns_https_url
from adapters.ipn.errors import BadEnvelope, IpnError, Rejected
from adapters.ipn.in_flight import InFlight
from adapters.ipn.message import Notification, parse_notification
from adapters.ipn.sns import (
    NOTIFICATION,
    SUBSCRIPTION,
    Envelope,
    parse_envelope,
    verify_envelope,
)

logger = logging.getLogger(__name__)

CONFIRM_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Answer:
    """The HTTP status and the one-line text the receiver answers with."""

    status: int
    text: str


class NotificationHandler:
    """Turns request bodies into stored notifications and reconcile calls (thread-safe)."""

    def __init__(
        self,
        inbox: NotificationInbox,
        certificates: CertificateStore,
        on_notification: Callable[[Notification], None],
        *,
        topic_arns: Collection[str] = (),
        merchant_id: str | None = None,
        confirm_subscriptions: bool = False,
    ) -> None:
        self.inbox = inbox
        self.certificates = certificates
        self.on_notification = on_notification
        self.topic_arns = frozenset(topic_arns)
        self.merchant_id = merchant_id
        self.confirm_subscriptions = confirm_subscriptions
        self.in_flight = InFlight()

    def handle(self, raw: bytes, message_type: str | None = None) -> Answer:
        """Answer one request body; `message_type` is the x-amz-sns-message-type header."""
        try:
            envelope = parse_envelope(raw)
            if message_type and message_type != envelope.type:
                raise BadEnvelope(f"x-amz-sns-message-type {message_type[:40]!r} differs from Type")
            if self.topic_arns and envelope.topic_arn not in self.topic_arns:
                raise Rejected(f"TopicArn {envelope.topic_arn[:200]!r} is not configured")
            verify_envelope(envelope, self.certificates)
            if envelope.type == NOTIFICATION:
                return self._notification(envelope)
            if envelope.type == SUBSCRIPTION:
                return self._subscription(envelope)
            logger.info("SNS unsubscribed from topic %s", envelope.topic_arn)
            return Answer(200, "unsubscribe confirmation noted")
        except IpnError as problem:
            logger.warning("SNS message refused (%s): %s", problem.status, problem)
            return Answer(problem.status, str(problem))
        except Exception:
            # Never crash the server; 500 lets SNS retry once the cause is fixed.
            logger.exception("SNS message could not be handled")
            return Answer(500, "internal error; try again later")

    def _notification(self, envelope: Envelope) -> Answer:
        notification, message = parse_notification(envelope.message_id, envelope.message)
        if self.merchant_id and notification.merchant_id != self.merchant_id:
            raise Rejected(f"MerchantID {notification.merchant_id!r} is not this merchant")
        body = {"envelope": dict(envelope.fields), "message": message}
        self.inbox.store(
            envelope.message_id, notification.object_type, notification.object_id, body
        )
        logger.info(
            "IPN %s: %s %s %s",
            envelope.message_id,
            notification.object_type,
            notification.object_id,
            notification.notification_type or "",
        )
        return self._process(envelope.message_id, lambda: self.on_notification(notification))

    def _subscription(self, envelope: Envelope) -> Answer:
        topic_name = envelope.topic_arn.rsplit(":", 1)[-1][:64] or "-"
        body = {"envelope": dict(envelope.fields), "message": None}
        self.inbox.store(envelope.message_id, SUBSCRIPTION, topic_name, body)
        if not self.confirm_subscriptions:
            # The SubscribeURL carries the confirmation token: it is in the store, not the log.
            logger.warning(
                "SNS subscription to %s needs confirmation: visit the SubscribeURL of stored "
                "message %s",
                envelope.topic_arn,
                envelope.message_id,
            )
            return Answer(200, "subscription stored; it needs confirmation")
        url = envelope.subscribe_url
        if not self._confirmable(url):
            raise Rejected(f"SubscribeURL {url[:200]!r} is neither SNS nor a trusted origin")
        return self._process(envelope.message_id, lambda: self._confirm(url))

    def _process(self, message_id: str, step: Callable[[], None]) -> Answer:
        """Run the step once per message: duplicates are acknowledged, failures retried."""
        with self.in_flight.hold(message_id) as claimed:
            if not claimed:
                logger.info("SNS message %s is a duplicate of one in progress", message_id)
                return Answer(200, "duplicate; already in progress")
            if self.inbox.is_processed(message_id):
                logger.info("SNS message %s is a duplicate; ignored", message_id)
                return Answer(200, "duplicate; already processed")
            try:
                step()
            except Exception:
                logger.exception("processing SNS message %s failed; SNS will retry", message_id)
                return Answer(500, "processing failed; retry later")
            self.inbox.mark_processed(message_id)
        return Answer(200, "processed")

    def _confirmable(self, url: str) -> bool:
        """An SNS https URL, or one on the origin of an explicitly trusted certificate URL."""
        try:
            origin = httpx.URL(url).copy_with(path="/", query=None, fragment=None)
        except (httpx.InvalidURL, TypeError):
            return False
        trusted = {
            httpx.URL(u).copy_with(path="/", query=None, fragment=None)
            for u in self.certificates.trusted_urls
        }
        return is_sns_https_url(url) or origin in trusted

    @staticmethod
    def _confirm(url: str) -> None:
        with httpx.Client(timeout=CONFIRM_TIMEOUT_SECONDS, follow_redirects=False) as client:
            client.get(url).raise_for_status()
        logger.info("SNS subscription confirmed via %s", httpx.URL(url).host)

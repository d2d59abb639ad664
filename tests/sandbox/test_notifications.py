"""IPNs: SNS envelopes sent to a tiny receiver, verified with the certificate the sandbox serves."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.server import bind_socket, run_app_in_thread
from tests.sandbox.amazon import fetch
from tests.sandbox.conftest import Running


class Receiver:
    """A tiny IPN endpoint that records what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict]] = []
        self.lock = threading.Lock()

        async def ipn(request: Request) -> Response:
            body = json.loads(await request.body())
            with self.lock:
                self.received.append((dict(request.headers), body))
            return Response(status_code=200)

        self.app = Starlette(routes=[Route("/ipn", ipn, methods=["POST"])])

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[dict[str, str], dict]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} IPNs, got {len(self.received)}")


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    catcher = Receiver()
    with run_app_in_thread(catcher.app, bind_socket()) as base_url:
        yield catcher, f"{base_url}/ipn"


def answered(sandbox: Running, timeout: float = 5.0) -> list[dict]:
    """The sandbox's notification records once each delivery has its answer: the receiver has
    a message a moment before the sandbox writes down the status it answered with."""
    deadline = time.monotonic() + timeout
    while True:
        records = sandbox.admin.http.get("/_admin/notifications").json()["notifications"]
        done = all(r["status"] is not None or r["error"] for r in records)
        if done or time.monotonic() > deadline:
            return records
        time.sleep(0.02)


def _messages(received) -> list[dict]:
    return [json.loads(envelope["Message"]) for _, envelope in received]


def _verify_with_served_certificate(envelope: dict) -> None:
    pem = fetch(envelope["SigningCertURL"]).content
    public_key = x509.load_pem_x509_certificate(pem).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    keys = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    text = "".join(f"{key}\n{envelope[key]}\n" for key in keys if key in envelope)
    signature = base64.b64decode(envelope["Signature"])
    public_key.verify(signature, text.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_each_state_change_posts_a_signed_sns_notification(start_sandbox, receiver):
    catcher, url = receiver
    sandbox: Running = start_sandbox(ipn_url=url)
    permission, charge = sandbox.captured_charge("10.00")
    received = catcher.wait_for(3)  # permission Chargeable, charge Authorized, charge Captured
    headers, envelope = received[-1]
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["content-type"].startswith("text/plain")
    assert envelope["Type"] == "Notification"
    assert envelope["SignatureVersion"] == "2"
    assert envelope["SigningCertURL"].startswith(sandbox.base_url)
    assert envelope["SigningCertURL"].endswith(".pem")
    message = json.loads(envelope["Message"])
    assert message == {
        "MerchantID": "A1SANDBOXMERCHANT",
        "ObjectType": "CHARGE",
        "ObjectId": charge,
        "ChargePermissionId": permission,
        "NotificationType": "STATE_CHANGE",
        "NotificationId": message["NotificationId"],
        "NotificationVersion": "V1",
    }
    for _, each in received:
        _verify_with_served_certificate(each)
    kinds = [(m["ObjectType"], m["ObjectId"]) for m in _messages(received)]
    assert kinds == [("CHARGE_PERMISSION", permission), ("CHARGE", charge), ("CHARGE", charge)]
    assert len({m["NotificationId"] for m in _messages(received)}) == 3


def test_a_tampered_notification_fails_verification(start_sandbox, receiver):
    catcher, url = receiver
    sandbox: Running = start_sandbox(ipn_url=url)
    sandbox.admin.checkout()
    _, envelope = catcher.wait_for(1)[0]
    tampered = {**envelope, "Message": envelope["Message"].replace("CHARGE_PERMISSION", "CHARGE")}
    from cryptography.exceptions import InvalidSignature

    _verify_with_served_certificate(envelope)
    with pytest.raises(InvalidSignature):
        _verify_with_served_certificate(tampered)


def test_advancing_the_clock_notifies_transitions_that_became_due(start_sandbox, receiver):
    catcher, url = receiver
    sandbox: Running = start_sandbox(ipn_url=url)
    _, charge = sandbox.captured_charge("10.00")
    refund = sandbox.api.refund(charge, "4.00", sandbox.key()).json()["refundId"]
    catcher.wait_for(4)  # permission, authorized, captured, refund initiated
    sandbox.admin.advance(seconds=31)  # no API read: the advance itself applies and notifies
    received = catcher.wait_for(5)
    last = json.loads(received[-1][1]["Message"])
    assert (last["ObjectType"], last["ObjectId"]) == ("REFUND", refund)
    record = answered(sandbox)[-1]
    assert record["state"] == "Refunded" and record["status"] == 200


def test_background_ticker_resolves_pending_authorizations_without_any_request(
    start_sandbox, receiver
):
    catcher, url = receiver
    sandbox: Running = start_sandbox(ipn_url=url, async_delay_seconds=1, tick_interval_seconds=0.1)
    permission = sandbox.admin.checkout()
    created = sandbox.api.create_charge(
        permission,
        "5.00",
        sandbox.key(),
        simulation="AuthorizationInitiated",
        canHandlePendingAuthorization=True,
    )
    assert created.json()["statusDetails"]["state"] == "AuthorizationInitiated"
    catcher.wait_for(3, timeout=5)
    records = sandbox.admin.http.get("/_admin/notifications").json()["notifications"]
    assert [r["state"] for r in records] == ["Chargeable", "AuthorizationInitiated", "Authorized"]


def test_an_unreachable_receiver_does_not_break_the_api(start_sandbox):
    dead = bind_socket()
    url = f"http://127.0.0.1:{dead.getsockname()[1]}/ipn"
    dead.close()  # nothing listens there any more
    sandbox: Running = start_sandbox(ipn_url=url)
    permission, charge = sandbox.captured_charge("10.00")
    assert sandbox.api.get(f"charges/{charge}").json()["statusDetails"]["state"] == "Captured"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        records = sandbox.admin.http.get("/_admin/notifications").json()["notifications"]
        if all(r["error"] for r in records):
            break
        time.sleep(0.05)
    assert len(records) == 3
    assert all("ConnectError" in r["error"] for r in records)


def test_notifications_are_recorded_without_a_url(sandbox: Running):
    sandbox.admin.checkout()
    records = sandbox.admin.http.get("/_admin/notifications").json()
    assert records["url"] is None
    assert [r["state"] for r in records["notifications"]] == ["Chargeable"]
    cleared = sandbox.admin.http.delete("/_admin/notifications").json()
    assert cleared["notifications"] == []

"""The receiver over real HTTP on loopback, storing into the migrated ERP store (both databases)."""

import json
import threading

import httpx
import pytest

from adapters.erp.store import make_engine
from adapters.ipn import Notification, ReceiverOptions, create_app
from tests.ipn.conftest import Reconciler
from tests.ipn.servers import Loopback
from tests.ipn.signing import MERCHANT_ID, TOPIC_ARN, confirmation, ipn_message, notification


def test_a_signed_notification_is_stored_and_handed_to_the_reconcile_step(
    start_receiver, signer, cert_url
):
    receiver = start_receiver()
    envelope = notification(signer, cert_url, message=ipn_message("S02-7-7-C001"))
    answer = receiver.post(envelope)
    assert (answer.status_code, answer.text) == (200, "processed\n")
    assert receiver.reconciler.calls == [
        Notification(
            object_type="CHARGE",
            object_id="S02-7-7-C001",
            charge_permission_id="S02-1234567-1234567",
            notification_type="STATE_CHANGE",
            message_id=envelope["MessageId"],
            notification_id=json.loads(envelope["Message"])["NotificationId"],
            merchant_id=MERCHANT_ID,
        )
    ]
    [row] = receiver.rows()
    assert (row.message_id, row.object_type, row.object_id) == (
        envelope["MessageId"],
        "CHARGE",
        "S02-7-7-C001",
    )
    assert row.body["message"]["ObjectId"] == "S02-7-7-C001"
    assert row.body["envelope"]["TopicArn"] == TOPIC_ARN
    assert row.processed_at is not None and row.processed_at >= row.received_at


@pytest.mark.parametrize("version", ["1", "2"])
def test_both_signature_versions_are_accepted(start_receiver, signer, cert_url, version):
    receiver = start_receiver()
    assert receiver.post(notification(signer, cert_url, version)).status_code == 200
    assert len(receiver.reconciler.calls) == 1


def test_a_duplicate_delivery_is_acknowledged_and_ignored(start_receiver, signer, cert_url):
    receiver = start_receiver()
    envelope = notification(signer, cert_url)
    first, second = receiver.post(envelope), receiver.post(envelope)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.text == "duplicate; already processed\n"
    assert len(receiver.reconciler.calls) == 1
    assert len(receiver.rows()) == 1


def test_concurrent_duplicates_store_one_row_and_reconcile_once(start_receiver, signer, cert_url):
    receiver = start_receiver(Reconciler(delay=0.3))
    envelope = notification(signer, cert_url)
    barrier = threading.Barrier(6)
    statuses = []

    def deliver():
        barrier.wait()
        statuses.append(receiver.post(envelope).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    assert len(receiver.rows()) == 1
    assert len(receiver.reconciler.calls) == 1


def test_a_failed_reconcile_answers_500_and_the_retry_runs_it_again(
    start_receiver, signer, cert_url
):
    receiver = start_receiver(Reconciler(fail_first=1))
    envelope = notification(signer, cert_url)
    failed = receiver.post(envelope)
    assert (failed.status_code, failed.text) == (500, "processing failed; retry later\n")
    [row] = receiver.rows()
    assert row.processed_at is None
    retried = receiver.post(envelope)
    assert retried.status_code == 200
    assert len(receiver.reconciler.calls) == 2
    [row] = receiver.rows()
    assert row.processed_at is not None
    assert receiver.post(envelope).text == "duplicate; already processed\n"
    assert len(receiver.reconciler.calls) == 2


def test_a_tampered_message_is_refused_403_and_not_stored(start_receiver, signer, cert_url):
    receiver = start_receiver()
    envelope = notification(signer, cert_url)
    envelope["Message"] = ipn_message("S02-evil-C666")
    answer = receiver.post(envelope)
    assert answer.status_code == 403
    assert "does not verify" in answer.text
    assert receiver.rows() == [] and receiver.reconciler.calls == []


def test_the_sandbox_certificate_is_refused_by_default(start_receiver, signer, cert_url):
    receiver = start_receiver(trusted_cert_urls=())
    answer = receiver.post(notification(signer, cert_url))
    assert answer.status_code == 403
    assert "is not https on an sns.<region>.amazonaws.com host" in answer.text
    assert receiver.rows() == []


def test_a_cert_url_on_a_wrong_host_is_refused_even_if_a_sandbox_is_trusted(start_receiver, signer):
    receiver = start_receiver()
    envelope = notification(signer, "https://sns.eu-west-1.amazonaws.com.evil.example/c.pem")
    assert receiver.post(envelope).status_code == 403


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{oops", "body is not JSON"),
        (b'{"Type": "Notification"}', "Notification lacks field(s): MessageId, Message"),
    ],
)
def test_unreadable_bodies_are_answered_400_with_one_line(start_receiver, body, expected):
    receiver = start_receiver()
    answer = receiver.post(body)
    assert answer.status_code == 400
    assert expected in answer.text
    assert answer.text.count("\n") == 1
    assert receiver.rows() == []


def test_an_unreadable_ipn_inside_a_valid_envelope_is_answered_400(
    start_receiver, signer, cert_url
):
    receiver = start_receiver()
    answer = receiver.post(notification(signer, cert_url, message='{"ObjectType": "CHARGE"}'))
    assert (answer.status_code, answer.text) == (400, "IPN Message lacks ObjectId\n")


def test_a_message_type_header_that_contradicts_the_body_is_refused(
    start_receiver, signer, cert_url
):
    receiver = start_receiver()
    envelope = notification(signer, cert_url)
    answer = receiver.post(envelope, **{"x-amz-sns-message-type": "SubscriptionConfirmation"})
    assert answer.status_code == 400


@pytest.mark.parametrize("chunked", [False, True])
def test_an_oversized_body_is_refused_413(start_receiver, signer, cert_url, chunked):
    receiver = start_receiver(max_body_bytes=4096)
    envelope = notification(signer, cert_url, message=ipn_message(Padding="x" * 5000))
    raw = json.dumps(envelope).encode()
    content = iter([raw[:2000], raw[2000:]]) if chunked else raw
    answer = httpx.post(receiver.url, content=content, timeout=30)
    assert (answer.status_code, answer.text) == (413, "body exceeds 4096 bytes\n")
    assert receiver.rows() == []


def test_a_body_just_under_the_limit_is_accepted(start_receiver, signer, cert_url):
    receiver = start_receiver(max_body_bytes=4096)
    assert len(json.dumps(notification(signer, cert_url))) < 4096
    assert receiver.post(notification(signer, cert_url)).status_code == 200


def test_a_topic_that_is_not_configured_is_refused(start_receiver, signer, cert_url):
    receiver = start_receiver(topic_arns=("arn:aws:sns:eu-west-1:000000000000:OTHER",))
    answer = receiver.post(notification(signer, cert_url))
    assert answer.status_code == 403 and "is not configured" in answer.text


def test_an_ipn_for_another_merchant_is_refused(start_receiver, signer, cert_url):
    receiver = start_receiver(merchant_id=MERCHANT_ID, topic_arns=(TOPIC_ARN,))
    ours = notification(signer, cert_url)
    theirs = notification(signer, cert_url, message=ipn_message(MerchantID="A9OTHER"))
    assert receiver.post(ours).status_code == 200
    assert receiver.post(theirs).status_code == 403
    assert len(receiver.rows()) == 1


def test_a_subscription_confirmation_is_stored_but_not_confirmed_by_default(
    start_receiver, signer, cert_url, cert_server
):
    receiver = start_receiver()
    envelope = confirmation(signer, cert_url, f"{cert_server.url}/subscribe")
    before = cert_server.count("/subscribe")
    answer = receiver.post(envelope)
    assert (answer.status_code, answer.text) == (
        200,
        "subscription stored; it needs confirmation\n",
    )
    assert cert_server.count("/subscribe") == before
    [row] = receiver.rows()
    assert (row.object_type, row.object_id) == ("SubscriptionConfirmation", "A1TESTMERCHANT")
    assert row.body["envelope"]["SubscribeURL"] == f"{cert_server.url}/subscribe"
    assert row.processed_at is None
    assert receiver.reconciler.calls == []


def test_a_subscription_is_confirmed_once_when_enabled(
    start_receiver, signer, cert_url, cert_server
):
    receiver = start_receiver(confirm_subscriptions=True)
    envelope = confirmation(signer, cert_url, f"{cert_server.url}/subscribe")
    before = cert_server.count("/subscribe")
    assert receiver.post(envelope).status_code == 200
    assert receiver.post(envelope).status_code == 200
    assert cert_server.count("/subscribe") == before + 1
    [row] = receiver.rows()
    assert row.processed_at is not None


def test_a_subscribe_url_off_sns_and_the_trusted_origin_is_not_visited(
    start_receiver, signer, cert_url
):
    receiver = start_receiver(confirm_subscriptions=True)
    envelope = confirmation(signer, cert_url, "http://evil.example/subscribe")
    assert receiver.post(envelope).status_code == 403


def test_an_unsubscribe_confirmation_is_verified_and_acknowledged(start_receiver, signer, cert_url):
    receiver = start_receiver()
    kind = "UnsubscribeConfirmation"
    good = confirmation(signer, cert_url, "https://sns.eu-west-1.amazonaws.com/?x", kind)
    forged = dict(good, TopicArn="arn:aws:sns:eu-west-1:000000000000:FORGED")
    assert receiver.post(good).status_code == 200
    assert receiver.post(forged).status_code == 403
    assert receiver.rows() == []


def test_a_store_failure_is_answered_500_and_the_receiver_keeps_serving(tmp_path, signer, cert_url):
    unmigrated = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    app = create_app(unmigrated, Reconciler(), ReceiverOptions(trusted_cert_urls=(cert_url,)))
    with Loopback() as server:
        server.start(app)
        url = server.url + "/ipn"
        broken = httpx.post(url, content=json.dumps(notification(signer, cert_url)), timeout=30)
        still_there = httpx.post(url, content=b"{oops", timeout=30)
    unmigrated.dispose()
    assert (broken.status_code, broken.text) == (500, "internal error; try again later\n")
    assert still_there.status_code == 400

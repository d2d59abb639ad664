"""Timeouts, late answers and notifications: the sandbox clock is advanced, nothing waits long."""

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from adapters.erp.schema import DocumentRow, NotificationRow, StatusEventRow
from adapters.erp.store import UnitOfWork
from adapters.ipn.receiver import ReceiverOptions, create_app
from domain.payment_status import Status
from flows import orders, sync
from sandbox.notifications import CERT_PATH
from sandbox.server import bind_socket, run_app_in_thread
from services import authorization, cancellation, notifications
from tests.orders.conftest import document, place_order, status

SLOW, DECLINING = "Visa ****0701", "Visa ****4354"


def events(res, number: str) -> list[tuple[str, bool]]:
    with UnitOfWork(res.engine) as uow:
        doc_id = uow.documents.id_of(number)
        rows = uow.session.scalars(
            select(StatusEventRow)
            .where(StatusEventRow.document_id == doc_id)
            .order_by(StatusEventRow.id)
        )
        return [(row.event, row.applied) for row in rows]


def test_a_timeout_completes_the_run_as_overdue_and_the_sweeper_applies_the_late_answer(
    flow_env, res, amazon
):
    place_order(res, amazon, "HB1", paymentDescriptor=SLOW)
    place_order(res, amazon, "HB2", paymentDescriptor=DECLINING)
    for number in ("HB1", "HB2"):
        state = orders.authorize(number, timeout_seconds=1, return_state=True)
        assert state.is_completed()
        assert state.result() == "authorization_overdue"
    amazon.advance(minutes=1)  # Amazon decides: 0701 authorizes, 4354 declines
    # The overdue backoff looks again once a quarter of a document's age has passed since the
    # last look: a second or two here, more when a busy machine made the runs slow.
    deadline = time.monotonic() + 60
    while Status.AUTHORIZATION_OVERDUE in (status(res, "HB1"), status(res, "HB2")):
        assert time.monotonic() < deadline, "the sweeper never looked again"
        time.sleep(1)
        sync.sync()
    assert status(res, "HB1") is Status.ACCEPTED
    assert status(res, "HB2") is Status.FAILED
    assert "HardDeclined" in _reason(res, "HB2")


def _reason(res, number: str) -> str:
    with UnitOfWork(res.engine) as uow:
        return (
            uow.session.scalar(
                select(DocumentRow.status_reason).where(DocumentRow.number == number)
            )
            or ""
        )


def test_a_late_authorization_after_a_cancel_is_recorded_not_applied(res, amazon):
    res.settings.report_cancellations = False  # cancelled in the ERP only: Amazon goes on
    place_order(res, amazon, "HB1", paymentDescriptor=SLOW)
    assert authorization.authorize(res, "HB1").status is Status.PENDING
    assert authorization.mark_overdue(res, "HB1").status is Status.AUTHORIZATION_OVERDUE
    assert cancellation.cancel(res, "HB1").status is Status.CANCELLED
    amazon.advance(minutes=1)
    assert amazon.ledger()["charges"][0]["statusDetails"]["state"] == "Authorized"
    assert authorization.poll(res, "HB1").status is Status.CANCELLED
    assert events(res, "HB1")[-1][1] is False  # Amazon's answer recorded, not applied
    assert document(res, "HB1").payment.captured.is_zero()


@pytest.fixture
def receiver(res, amazon) -> Iterator[str]:
    """The notification receiver on loopback, reconciling through the same res as polling."""

    def reconcile(notification):
        notifications.reconcile_object(res, notification.object_type, notification.object_id)

    options = ReceiverOptions(trusted_cert_urls=(amazon.base_url + CERT_PATH,))
    app = create_app(res.engine, reconcile, options)
    with run_app_in_thread(app, bind_socket()) as url:
        amazon.admin("PUT", "/notifications", {"url": f"{url}/ipn"})
        yield f"{url}/ipn"


def wait_for(condition, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_notification_applies_the_late_answer_and_its_duplicate_is_ignored(res, amazon, receiver):
    place_order(res, amazon, "HB1", paymentDescriptor=SLOW)
    assert authorization.authorize(res, "HB1").status is Status.PENDING
    amazon.advance(minutes=1)  # the sandbox sends an IPN for the charge's change
    wait_for(lambda: status(res, "HB1") is Status.ACCEPTED)
    records = amazon.admin("GET", "/notifications")["notifications"]
    authorized = [r for r in records if r["state"] == "Authorized"]
    assert authorized and authorized[-1]["status"] == 200
    envelope = authorized[-1]["envelope"]
    again = httpx.post(
        receiver,
        content=json.dumps(envelope),
        headers={"content-type": "text/plain", "x-amz-sns-message-type": "Notification"},
        timeout=10,
    )
    assert again.status_code == 200
    with UnitOfWork(res.engine) as uow:
        stored = uow.session.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(NotificationRow.message_id == envelope["MessageId"])
        )
    assert stored == 1
    assert [e for e in events(res, "HB1") if e[0] == "authorized"] == [("authorized", True)]

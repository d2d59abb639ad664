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
from tasks import order_actions
from tests.orders.conftest import place_order

SLOW, DECLINING = "Visa ****0701", "Visa ****4354"


def events(steps, number: str) -> list[tuple[str, bool]]:
    with UnitOfWork(steps.engine) as uow:
        doc_id = uow.documents.session.scalar(
            select(func.min(StatusEventRow.document_id)).where(
                StatusEventRow.document_id.is_not(None)
            )
        )
        from adapters.erp import amazon_log

        doc_id = amazon_log.document_id(uow.session, number)
        rows = uow.session.scalars(
            select(StatusEventRow)
            .where(StatusEventRow.document_id == doc_id)
            .order_by(StatusEventRow.id)
        )
        return [(row.event, row.applied) for row in rows]


def test_a_timeout_completes_the_run_as_overdue_and_the_sweeper_applies_the_late_answer(
    flow_env, steps, amazon
):
    place_order(steps, amazon, "HB1", paymentDescriptor=SLOW)
    place_order(steps, amazon, "HB2", paymentDescriptor=DECLINING)
    for number in ("HB1", "HB2"):
        state = orders.authorize(number, timeout_seconds=1, return_state=True)
        assert state.is_completed()
        assert state.result() == "authorization_overdue"
    amazon.advance(minutes=1)  # Amazon decides: 0701 authorizes, 4354 declines
    time.sleep(1)  # the overdue backoff: the last look was a moment ago
    sync.sync()
    assert steps.status("HB1") is Status.ACCEPTED
    assert steps.status("HB2") is Status.FAILED
    assert "HardDeclined" in _reason(steps, "HB2")


def _reason(steps, number: str) -> str:
    with UnitOfWork(steps.engine) as uow:
        return (
            uow.session.scalar(
                select(DocumentRow.status_reason).where(DocumentRow.number == number)
            )
            or ""
        )


def test_a_late_authorization_after_a_cancel_is_recorded_not_applied(steps, amazon):
    steps.settings.report_cancellations = False  # cancelled in the ERP only: Amazon goes on
    place_order(steps, amazon, "HB1", paymentDescriptor=SLOW)
    assert steps.authorize("HB1") is Status.PENDING
    assert steps.mark_overdue("HB1") is Status.AUTHORIZATION_OVERDUE
    assert order_actions.cancel(steps, "HB1") is Status.CANCELLED
    amazon.advance(minutes=1)
    assert amazon.ledger()["charges"][0]["statusDetails"]["state"] == "Authorized"
    assert steps.reconcile_latest_charge("HB1") is Status.CANCELLED
    assert events(steps, "HB1")[-1][1] is False  # Amazon's answer recorded, not applied
    assert steps.document("HB1").payment.captured.is_zero()


@pytest.fixture
def receiver(steps, amazon) -> Iterator[str]:
    """The notification receiver on loopback, reconciling through the same steps as polling."""

    def reconcile(notification):
        steps.reconcile_object(notification.object_type, notification.object_id)

    options = ReceiverOptions(trusted_cert_urls=(amazon.base_url + CERT_PATH,))
    app = create_app(steps.engine, reconcile, options)
    with run_app_in_thread(app, bind_socket()) as url:
        amazon.admin("PUT", "/notifications", {"url": f"{url}/ipn"})
        yield f"{url}/ipn"


def wait_for(condition, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_notification_applies_the_late_answer_and_its_duplicate_is_ignored(
    steps, amazon, receiver
):
    place_order(steps, amazon, "HB1", paymentDescriptor=SLOW)
    assert steps.authorize("HB1") is Status.PENDING
    amazon.advance(minutes=1)  # the sandbox sends an IPN for the charge's change
    wait_for(lambda: steps.status("HB1") is Status.ACCEPTED)
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
    with UnitOfWork(steps.engine) as uow:
        stored = uow.session.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(NotificationRow.message_id == envelope["MessageId"])
        )
    assert stored == 1
    assert [e for e in events(steps, "HB1") if e[0] == "authorized"] == [("authorized", True)]

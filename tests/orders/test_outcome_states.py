"""Order runs end in states named for the business outcome; refusals carry no traceback."""

import threading

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactCollectionFilter,
    ArtifactCollectionFilterKey,
)

from domain.payment_status import Event, Status
from flows import orders, sync
from flows.outcome_states import end_state
from services import authorization
from services.outcomes import Outcome
from tests.orders.conftest import apply, credit_note, place_order

SLOW = "Visa ****0701"


def named(state) -> tuple[str, str]:
    return state.type.value, state.name


def test_each_order_flow_ends_in_its_named_state(flow_env, res, amazon):
    place_order(res, amazon, "HB1", price="95.10")
    assert named(orders.authorize("HB1", return_state=True)) == ("COMPLETED", "Accepted")
    apply(res, "HB1", Event.ACTIVATION_REQUESTED)
    assert named(orders.activate("HB1", return_state=True)) == ("COMPLETED", "Activated")
    credit_note(res, "GS1", "HB1", "25.00")
    pending = orders.refund("GS1", return_state=True)
    assert named(pending) == ("COMPLETED", "RefundPending")
    amazon.advance(minutes=1)
    refunded = orders.refund("GS1", return_state=True)
    assert named(refunded) == ("COMPLETED", "Refunded")
    assert refunded.result() == "partially_refunded"
    place_order(res, amazon, "HB2")
    assert named(orders.cancel("HB2", return_state=True)) == ("COMPLETED", "Cancelled")


def test_a_timeout_completes_as_overdue_with_the_reason(flow_env, res, amazon):
    place_order(res, amazon, "HB3", paymentDescriptor=SLOW)
    state = orders.authorize("HB3", timeout_seconds=1, return_state=True)
    assert named(state) == ("COMPLETED", "Overdue")
    assert "no answer within the timeout" in state.message


@pytest.mark.parametrize(
    "flow, args",
    [(orders.activate, ("HB4",)), (orders.cancel, ("HB4", ["TASSE-WEISS"]))],
)
def test_a_refusal_fails_as_refused_with_the_reason_and_no_traceback(
    flow_env, res, amazon, flow, args
):
    place_order(res, amazon, "HB4")
    state = flow(*args, return_state=True)
    assert named(state) == ("FAILED", "Refused")
    assert state.message.startswith("HB4")
    assert "Traceback" not in state.message


def test_declines_fail_with_amazons_reason_and_pending_states_complete():
    declined = Outcome("HB5", Status.FAILED, reason="Amazon: Declined/HardDeclined")
    assert named(end_state(declined)) == ("FAILED", "Declined")
    assert "HardDeclined" in end_state(declined).message
    capture = Outcome("HB5", Status.CAPTURE_DECLINED, reason="Amazon: Declined/AmazonRejected")
    assert named(end_state(capture)) == ("FAILED", "CaptureDeclined")
    refund = Outcome("GS5", Status.ACTIVATED, refund_state="Declined")
    assert named(end_state(refund)) == ("FAILED", "RefundDeclined")
    waiting = Outcome("HB5", Status.CAPTURE_PENDING)
    assert named(end_state(waiting)) == ("COMPLETED", "CapturePending")


def test_a_run_logs_the_total_amazons_ids_and_the_states_it_saw(res, amazon):
    place_order(res, amazon, "HB6", price="95.10")
    outcome = authorization.authorize(res, "HB6")
    assert outcome.notes[0].startswith("HB6: order of 100.00 EUR, charge permission ")
    assert any(" Authorized at " in line and "charge " in line for line in outcome.notes)
    assert not any("erika@example.org" in line for line in outcome.notes)


def test_a_sweep_publishes_the_open_items_and_is_named_for_its_time(flow_env, res, amazon):
    place_order(res, amazon, "HB7", paymentDescriptor=SLOW)
    authorization.authorize(res, "HB7")
    authorization.mark_overdue(res, "HB7")
    state = sync.sync(return_state=True)
    assert named(state) == ("COMPLETED", "Swept")
    assert state.result()["open_items"] == 1
    with get_client(sync_client=True) as client:
        table = client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(
                key=ArtifactCollectionFilterKey(any_=["open-items"])
            )
        )
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert "HB7" in str(table[0].data) and "authorization_overdue" in str(table[0].data)
    assert run.name.startswith("sync-20")


def test_a_sweep_whose_documents_fail_outright_ends_failed_as_errors(
    flow_env, res, amazon, monkeypatch
):
    place_order(res, amazon, "HB8")
    monkeypatch.setenv("AMAZON_PAY_BASE_URL", "http://127.0.0.1:9")  # nobody answers there
    state = sync.sync(return_state=True)
    assert named(state) == ("FAILED", "Errors")
    assert "HB8" in state.message and "Traceback" not in state.message


def test_declines_end_failed_with_amazons_reason_under_the_engine(flow_env, res, amazon):
    place_order(res, amazon, "HB9", paymentDescriptor="Visa ****4354")
    later = threading.Timer(1.0, amazon.advance, kwargs={"minutes": 1})
    later.start()  # Amazon decides while the run waits
    declined = orders.authorize("HB9", timeout_seconds=30, return_state=True)
    later.join()
    assert named(declined) == ("FAILED", "Declined")
    assert "HardDeclined" in declined.message and "Traceback" not in declined.message

    place_order(res, amazon, "HB10", price="95.10", paymentDescriptor="Visa ****0403")
    authorization.authorize(res, "HB10")
    apply(res, "HB10", Event.ACTIVATION_REQUESTED)
    assert named(orders.activate("HB10", return_state=True)) == ("COMPLETED", "CapturePending")
    amazon.advance(minutes=1)
    capture = orders.activate("HB10", return_state=True)
    assert named(capture) == ("FAILED", "CaptureDeclined")
    assert "AmazonRejected" in capture.message

    place_order(res, amazon, "HB11", price="95.10", paymentDescriptor="Visa ****0404")
    authorization.authorize(res, "HB11")
    apply(res, "HB11", Event.ACTIVATION_REQUESTED)
    orders.activate("HB11")
    credit_note(res, "GS11", "HB11", "25.00")
    assert named(orders.refund("GS11", return_state=True)) == ("COMPLETED", "RefundPending")
    amazon.advance(minutes=1)
    assert named(orders.refund("GS11", return_state=True)) == ("FAILED", "RefundDeclined")

"""The order flows under the real Prefect engine, against the sandbox on loopback."""

import asyncio

from prefect.client.orchestration import get_client

from adapters.erp.store import UnitOfWork
from domain.payment_status import Event, Status
from flows import orders, sync
from services import authorization
from tests.orders.conftest import apply, credit_note, place_order, status


async def run_names(flow_name: str) -> list[str]:
    async with get_client() as client:
        runs = await client.read_flow_runs()
    return [run.name for run in runs if run.name.startswith(flow_name)]


def test_authorize_flow_accepts_and_is_named_after_the_document(flow_env, res, amazon):
    place_order(res, amazon, "HB100042")
    state = orders.authorize("HB100042", return_state=True)
    assert state.is_completed()
    assert state.result() == "accepted"
    assert "authorize-HB100042" in asyncio.run(run_names("authorize-"))


def test_activate_flow_refuses_a_pending_document_with_a_clear_message(flow_env, res, amazon):
    place_order(res, amazon, "HB2")
    state = orders.activate("HB2", return_state=True)
    assert state.is_failed()
    assert "HB2 cannot be activated: its payment status is pending" in state.message


def test_cancel_flow_refuses_single_items(flow_env, res, amazon):
    place_order(res, amazon, "HB3")
    state = orders.cancel("HB3", items=["TASSE-WEISS"], return_state=True)
    assert state.is_failed()
    assert "needs manual action in Seller Central" in state.message


def test_the_sweeper_authorizes_activates_and_refunds_in_chunks(flow_env, res, amazon):
    for n in range(3):
        place_order(res, amazon, f"HB{n}", price="95.10")
    summary = sync.sync()
    assert summary["authorize"] == 3 and summary["errors"] == 0
    assert all(status(res, f"HB{n}") is Status.ACCEPTED for n in range(3))
    for n in range(2):
        apply(res, f"HB{n}", Event.ACTIVATION_REQUESTED)
    assert sync.sync()["activate"] == 2
    assert status(res, "HB0") is Status.ACTIVATED
    credit_note(res, "GS0", "HB0", "100.00")
    sync.sync()  # creates the refund: RefundInitiated
    amazon.advance(minutes=1)
    sync.sync()  # polls it: Refunded
    assert status(res, "HB0") is Status.REFUNDED
    with UnitOfWork(res.engine) as uow:
        assert uow.documents.get("HB2").payment.status is Status.ACCEPTED


def test_refund_flow_refunds_a_credit_note_and_is_named_after_it(flow_env, res, amazon):
    place_order(res, amazon, "HB7", price="95.10")
    authorization.authorize(res, "HB7")
    orders.activate("HB7")
    credit_note(res, "GS7", "HB7", "25.00")
    assert orders.refund("GS7") == "activated"  # RefundInitiated: Amazon decides later
    amazon.advance(minutes=1)
    assert orders.refund("GS7") == "partially_refunded"
    assert "refund-GS7" in asyncio.run(run_names("refund-"))


def test_batch_flows_authorize_activate_refund_and_cancel_many_documents(flow_env, res, amazon):
    for n in range(4):
        place_order(res, amazon, f"B{n}", price="95.10")
    numbers = [f"B{n}" for n in range(4)]
    assert set(orders.authorize_batch(numbers).values()) == {"accepted"}
    for number in numbers[:2]:
        apply(res, number, Event.ACTIVATION_REQUESTED)
    assert orders.activate_batch(numbers[:2]) == {"B0": "activated", "B1": "activated"}
    credit_note(res, "GB0", "B0", "100.00")
    assert orders.refund_batch(["GB0"]) == {"GB0": "activated"}
    cancelled = orders.cancel_batch(["B1", "B2", "B3"])
    assert cancelled["B2"] == cancelled["B3"] == "cancelled"
    assert cancelled["B1"].startswith("error: B1 cannot be cancelled")

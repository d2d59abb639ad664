"""The order processes against the real sandbox over loopback HTTP, one document at a time."""

import pytest
from sqlalchemy import select

from adapters.erp.schema import AmazonCallRow
from adapters.erp.store import UnitOfWork
from domain.money import Money
from domain.payment_status import Status
from tasks import order_actions
from tasks.order_steps import StepRefused
from tests.orders.conftest import credit_note, place_order


def calls(steps, operation):
    with UnitOfWork(steps.engine) as uow:
        rows = uow.session.scalars(
            select(AmazonCallRow).where(AmazonCallRow.operation == operation)
        )
        return [(row.idempotency_key, row.http_status) for row in rows]


def test_authorizing_a_pending_order_makes_it_accepted(steps, amazon):
    place_order(steps, amazon, "HB1")
    assert steps.authorize("HB1") is Status.ACCEPTED
    assert calls(steps, "create_charge") == [("chg-HB1-1", 200)]
    (charge,) = amazon.ledger()["charges"]
    assert charge["statusDetails"]["state"] == "Authorized"
    assert charge["chargeAmount"] == {"amount": "44.90", "currencyCode": "EUR"}


def test_authorizing_again_sends_nothing_new(steps, amazon):
    place_order(steps, amazon, "HB1")
    steps.authorize("HB1")
    assert steps.authorize("HB1") is Status.ACCEPTED
    assert len(calls(steps, "create_charge")) == 1
    assert len(amazon.ledger()["charges"]) == 1


def test_activation_captures_the_current_gross_total(steps, amazon):
    place_order(steps, amazon, "HB1")
    steps.authorize("HB1")
    assert order_actions.activate(steps, "HB1") is Status.ACTIVATED
    assert steps.document("HB1").payment.captured == Money("44.90", "EUR")
    (charge,) = amazon.ledger()["charges"]
    assert charge["statusDetails"]["state"] == "Captured"
    assert charge["captureAmount"] == {"amount": "44.90", "currencyCode": "EUR"}


def test_a_document_that_is_not_accepted_cannot_be_activated(steps, amazon):
    place_order(steps, amazon, "HB1")
    with pytest.raises(StepRefused, match="HB1 cannot be activated: its payment status is pending"):
        order_actions.activate(steps, "HB1")


def test_partial_then_full_refund_follow_amazons_refund_states(steps, amazon):
    place_order(steps, amazon, "HB1", price="95.10")
    steps.authorize("HB1")
    order_actions.activate(steps, "HB1")
    credit_note(steps, "GS1", "HB1", "30.00")
    assert order_actions.refund(steps, "GS1") is Status.ACTIVATED  # RefundInitiated: not yet
    amazon.advance(minutes=1)
    assert order_actions.refund(steps, "GS1") is Status.PARTIALLY_REFUNDED
    credit_note(steps, "GS2", "HB1", "70.00")
    order_actions.refund(steps, "GS2")
    amazon.advance(minutes=1)
    assert order_actions.refund(steps, "GS2") is Status.REFUNDED
    assert steps.document("HB1").payment.refunded == Money("100.00", "EUR")
    states = sorted(r["statusDetails"]["state"] for r in amazon.ledger()["refunds"])
    assert states == ["Refunded", "Refunded"]


def test_a_refund_above_the_ceiling_is_refused_before_amazon_is_called(steps, amazon):
    place_order(steps, amazon, "HB1", price="95.10")
    steps.authorize("HB1")
    order_actions.activate(steps, "HB1")
    credit_note(steps, "GS1", "HB1", "115.01")
    with pytest.raises(StepRefused, match="exceeds what may still be refunded"):
        order_actions.refund(steps, "GS1")
    assert calls(steps, "create_refund") == []


def test_a_whole_accepted_order_is_cancelled_at_amazon_too(steps, amazon):
    document = place_order(steps, amazon, "HB1")
    steps.authorize("HB1")
    assert order_actions.cancel(steps, "HB1") is Status.CANCELLED
    ledger = amazon.ledger()
    assert ledger["charges"][0]["statusDetails"]["state"] == "Canceled"
    (permission,) = [
        p
        for p in ledger["chargePermissions"]
        if p["chargePermissionId"] == document.charge_permission_id
    ]
    assert permission["statusDetails"]["state"] == "Closed"


def test_cancelling_single_items_is_refused_with_the_seller_central_message(steps, amazon):
    place_order(steps, amazon, "HB1")
    with pytest.raises(StepRefused, match="needs manual action in Seller Central"):
        order_actions.cancel(steps, "HB1", items=["TASSE-WEISS"])
    assert steps.status("HB1") is Status.PENDING


def test_an_activated_order_cannot_be_cancelled(steps, amazon):
    place_order(steps, amazon, "HB1")
    steps.authorize("HB1")
    order_actions.activate(steps, "HB1")
    with pytest.raises(StepRefused, match="only whole orders that are not activated"):
        order_actions.cancel(steps, "HB1")

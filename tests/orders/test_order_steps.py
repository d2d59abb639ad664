"""The order processes against the real sandbox over loopback HTTP, one document at a time."""

from sqlalchemy import select

from adapters.erp.schema import AmazonCallRow
from adapters.erp.store import UnitOfWork
from domain.money import Money
from domain.payment_status import Status
from services import activation, authorization, cancellation, refunds
from tests.orders.conftest import credit_note, document, place_order, status


def calls(res, operation):
    with UnitOfWork(res.engine) as uow:
        rows = uow.session.scalars(
            select(AmazonCallRow).where(AmazonCallRow.operation == operation)
        )
        return [(row.idempotency_key, row.http_status) for row in rows]


def test_authorizing_a_pending_order_makes_it_accepted(res, amazon):
    place_order(res, amazon, "HB1")
    assert authorization.authorize(res, "HB1").status is Status.ACCEPTED
    assert calls(res, "create_charge") == [("chg-HB1-1", 200)]
    (charge,) = amazon.ledger()["charges"]
    assert charge["statusDetails"]["state"] == "Authorized"
    assert charge["chargeAmount"] == {"amount": "44.90", "currencyCode": "EUR"}


def test_authorizing_again_sends_nothing_new(res, amazon):
    place_order(res, amazon, "HB1")
    authorization.authorize(res, "HB1")
    assert authorization.authorize(res, "HB1").status is Status.ACCEPTED
    assert len(calls(res, "create_charge")) == 1
    assert len(amazon.ledger()["charges"]) == 1


def test_activation_captures_the_current_gross_total(res, amazon):
    place_order(res, amazon, "HB1")
    authorization.authorize(res, "HB1")
    assert activation.activate(res, "HB1").status is Status.ACTIVATED
    assert document(res, "HB1").payment.captured == Money("44.90", "EUR")
    (charge,) = amazon.ledger()["charges"]
    assert charge["statusDetails"]["state"] == "Captured"
    assert charge["captureAmount"] == {"amount": "44.90", "currencyCode": "EUR"}


def test_a_document_that_is_not_accepted_cannot_be_activated(res, amazon):
    place_order(res, amazon, "HB1")
    outcome = activation.activate(res, "HB1")
    assert (
        outcome.refused
        and "HB1 cannot be activated: its payment status is pending" in outcome.problem
    )


def test_partial_then_full_refund_follow_amazons_refund_states(res, amazon):
    place_order(res, amazon, "HB1", price="95.10")
    authorization.authorize(res, "HB1")
    activation.activate(res, "HB1")
    credit_note(res, "GS1", "HB1", "30.00")
    assert refunds.refund(res, "GS1").status is Status.ACTIVATED  # RefundInitiated: not yet
    amazon.advance(minutes=1)
    assert refunds.refund(res, "GS1").status is Status.PARTIALLY_REFUNDED
    credit_note(res, "GS2", "HB1", "70.00")
    refunds.refund(res, "GS2")
    amazon.advance(minutes=1)
    assert refunds.refund(res, "GS2").status is Status.REFUNDED
    assert document(res, "HB1").payment.refunded == Money("100.00", "EUR")
    states = sorted(r["statusDetails"]["state"] for r in amazon.ledger()["refunds"])
    assert states == ["Refunded", "Refunded"]


def test_a_refund_above_the_ceiling_is_refused_before_amazon_is_called(res, amazon):
    place_order(res, amazon, "HB1", price="95.10")
    authorization.authorize(res, "HB1")
    activation.activate(res, "HB1")
    credit_note(res, "GS1", "HB1", "115.01")
    outcome = refunds.refund(res, "GS1")
    assert outcome.refused and "exceeds what may still be refunded" in outcome.problem
    assert calls(res, "create_refund") == []


def note_booking(res, number):
    """The credit note's own status, its reason and its history's events, as booked."""
    with UnitOfWork(res.engine) as uow:
        facts = uow.records.facts(number)
        events = [row.event for row in uow.records.history(number)]
    return facts.note_status, facts.status_reason, events


def test_a_note_above_the_ceiling_is_refused_once_and_every_later_run_only_repeats_why(res, amazon):
    place_order(res, amazon, "HB1", price="95.10")
    authorization.authorize(res, "HB1")
    activation.activate(res, "HB1")
    credit_note(res, "GS1", "HB1", "115.01")
    first = refunds.refund(res, "GS1")
    again = refunds.refund(res, "GS1")
    assert first.refused and again.refused and again.problem == first.problem
    assert first.status is again.status is Status.ACTIVATED  # the order's status
    booked, reason, events = note_booking(res, "GS1")
    assert (booked, reason, events) == ("refused", first.problem, ["refund_refused"])
    assert calls(res, "create_refund") == []


def test_the_refund_books_amazons_final_answer_on_the_credit_note(res, amazon):
    place_order(res, amazon, "HB1", price="95.10")
    authorization.authorize(res, "HB1")
    activation.activate(res, "HB1")
    credit_note(res, "GS1", "HB1", "30.00")
    refunds.refund(res, "GS1")
    assert note_booking(res, "GS1")[0] is None  # RefundInitiated: still pending
    amazon.advance(minutes=1)
    assert refunds.refund(res, "GS1").status is Status.PARTIALLY_REFUNDED
    assert note_booking(res, "GS1")[0] == "refunded"


def test_a_whole_accepted_order_is_cancelled_at_amazon_too(res, amazon):
    document = place_order(res, amazon, "HB1")
    authorization.authorize(res, "HB1")
    assert cancellation.cancel(res, "HB1").status is Status.CANCELLED
    ledger = amazon.ledger()
    assert ledger["charges"][0]["statusDetails"]["state"] == "Canceled"
    (permission,) = [
        p
        for p in ledger["chargePermissions"]
        if p["chargePermissionId"] == document.charge_permission_id
    ]
    assert permission["statusDetails"]["state"] == "Closed"


def test_cancelling_single_items_is_refused_with_the_seller_central_message(res, amazon):
    place_order(res, amazon, "HB1")
    outcome = cancellation.cancel(res, "HB1", items=["TASSE-WEISS"])
    assert outcome.refused and "needs manual action in Seller Central" in outcome.problem
    assert status(res, "HB1") is Status.PENDING


def test_an_activated_order_cannot_be_cancelled(res, amazon):
    place_order(res, amazon, "HB1")
    authorization.authorize(res, "HB1")
    activation.activate(res, "HB1")
    outcome = cancellation.cancel(res, "HB1")
    assert outcome.refused and "only whole orders that are not activated" in outcome.problem

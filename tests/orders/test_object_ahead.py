"""State that reached an Amazon object in the store but not its document is found and applied.

These are the states a run of an earlier version left behind when it died between two commits
(the charge saved Captured, the refund saved Refunded, the document not updated): the next run
applies them from the store and Amazon, and never moves money a second time.
"""

from sqlalchemy import update

from adapters.erp.schema import DocumentRow
from adapters.erp.store import UnitOfWork
from domain.money import Money
from domain.payment_status import Status
from services import activation, authorization, refunds
from tests.orders.conftest import credit_note, document, place_order


def set_document(res, number, **values):
    with UnitOfWork(res.engine) as uow:
        uow.session.execute(update(DocumentRow).where(DocumentRow.number == number).values(values))
        uow.commit()


def test_a_captured_charge_the_document_never_applied_is_applied_without_a_second_capture(
    res, amazon
):
    place_order(res, amazon, "HB1")
    authorization.authorize(res, "HB1")
    activation.activate(res, "HB1")
    set_document(res, "HB1", payment_status="activation_requested", captured_minor=0)
    assert activation.activate(res, "HB1").status is Status.ACTIVATED
    assert document(res, "HB1").payment.captured == Money("44.90", "EUR")
    assert amazon.ledger()["counts"]["captures"] == 1


def test_a_refunded_refund_the_order_never_applied_is_applied_without_a_second_refund(res, amazon):
    place_order(res, amazon, "HB1", price="95.10")
    authorization.authorize(res, "HB1")
    activation.activate(res, "HB1")
    credit_note(res, "GS1", "HB1", "40.00")
    refunds.refund(res, "GS1")
    amazon.advance(minutes=1)
    assert refunds.refund(res, "GS1").status is Status.PARTIALLY_REFUNDED
    set_document(res, "HB1", payment_status="activated", refunded_minor=0)
    assert refunds.refund(res, "GS1").status is Status.PARTIALLY_REFUNDED
    assert document(res, "HB1").payment.refunded == Money("40.00", "EUR")
    assert refunds.refund(res, "GS1").status is Status.PARTIALLY_REFUNDED  # applied once only
    assert document(res, "HB1").payment.refunded == Money("40.00", "EUR")
    assert amazon.ledger()["counts"]["refunds"] == 1

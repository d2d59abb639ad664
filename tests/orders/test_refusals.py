"""Amazon refusing a Create Charge outright fails the document with Amazon's reason: no eternal
pending, and the refused call is closed, so the next intent gets a key of its own."""

from sqlalchemy import select

from adapters.erp.schema import AmazonCallRow, DocumentRow
from adapters.erp.store import UnitOfWork
from domain.payment_status import Status
from services import authorization
from tests.orders.conftest import place_order


def status_reason(res, number):
    with UnitOfWork(res.engine) as uow:
        row = uow.session.scalars(select(DocumentRow).where(DocumentRow.number == number)).one()
        return row.status_reason


def open_calls(res):
    with UnitOfWork(res.engine) as uow:
        rows = uow.session.scalars(select(AmazonCallRow).where(AmazonCallRow.applied_at.is_(None)))
        return list(rows)


def test_a_charge_over_amazons_transaction_maximum_fails_the_document_with_the_reason(res, amazon):
    place_order(res, amazon, "HB1", price="150000.00")
    assert authorization.authorize(res, "HB1").status is Status.FAILED
    assert "TransactionAmountExceeded" in status_reason(res, "HB1")
    assert open_calls(res) == []
    assert amazon.ledger()["counts"]["charges"] == 0


def test_a_charge_on_a_closed_permission_fails_the_document_with_the_reason(res, amazon):
    document = place_order(res, amazon, "HB1")
    res.amazon.close_charge_permission(document.charge_permission_id, closure_reason="test")
    assert authorization.authorize(res, "HB1").status is Status.FAILED
    reason = status_reason(res, "HB1")
    assert reason.startswith("Amazon: InvalidChargePermissionStatus: ")
    assert "Closed" in reason
    assert (
        authorization.authorize(res, "HB1").status is Status.FAILED
    )  # a failed document is not authorized again
    assert amazon.ledger()["counts"]["charges"] == 0

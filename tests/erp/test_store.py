import pytest
from sqlalchemy import Engine, func, select

from adapters.erp.schema import AmazonCallRow, AmazonRefRow, DocumentRow, StatusEventRow
from adapters.erp.store import DuplicateDocument, StoreConflict, UnitOfWork
from domain.documents import Customer, Document, DocumentType, Item
from domain.money import Money
from domain.payment_status import Event


def order(number: str = "HB100001", permission: str = "S01-1234567-1234567") -> Document:
    return Document(
        number=number,
        doc_type=DocumentType.ORDER,
        currency="EUR",
        items=[Item("00042", "Tasse weiß", 2, Money("9.95", "EUR"))],
        shipping=Money("4.90", "EUR"),
        customer=Customer("Erika Mustermann", "erika@example.org"),
        charge_permission_id=permission,
        fee_article=Item("AMZ-FEE", "Amazon Pay Gebühr", 1, Money("0.50", "EUR")),
    )


def count(engine: Engine, table) -> int:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(table)) or 0


def test_a_committed_document_reads_back_equal(engine):
    with UnitOfWork(engine) as uow:
        uow.documents.add(order())
        uow.commit()
    with UnitOfWork(engine) as uow:
        document = uow.documents.get("HB100001")
    assert document is not None
    assert document.items[0].sku == "00042"
    assert document.fee_article is not None and document.fee_article.sku == "AMZ-FEE"
    assert document.gross_total == Money("25.30", "EUR")
    assert document.charge_permission_id == "S01-1234567-1234567"
    assert document.payment.status.value == "pending"


def test_the_unit_of_work_rolls_back_unless_committed(engine):
    with UnitOfWork(engine) as uow:
        uow.documents.add(order())
    assert count(engine, DocumentRow) == 0


def test_an_error_inside_the_unit_of_work_rolls_back_what_it_staged(engine):
    with pytest.raises(RuntimeError), UnitOfWork(engine) as uow:
        uow.documents.add(order())
        uow.session.flush()
        raise RuntimeError("boom")
    assert count(engine, DocumentRow) == 0


def test_a_document_number_is_stored_once(engine):
    with UnitOfWork(engine) as uow:
        uow.documents.add(order())
        uow.commit()
    with UnitOfWork(engine) as uow, pytest.raises(DuplicateDocument):
        uow.documents.add(order())


def test_an_amazon_id_belongs_to_one_document_only(engine):
    with UnitOfWork(engine) as uow:
        uow.documents.add(order("A1", permission="S01-0000001-0000001"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        uow.documents.add(order("A2", permission="S01-0000001-0000001"))
        with pytest.raises(StoreConflict):
            uow.commit()
    assert count(engine, AmazonRefRow) == 1


def test_an_idempotency_key_is_recorded_once(engine):
    with UnitOfWork(engine) as uow:
        uow.session.add(AmazonCallRow(operation="capture_charge", idempotency_key="cap-HB1-1"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        uow.session.add(AmazonCallRow(operation="capture_charge", idempotency_key="cap-HB1-1"))
        with pytest.raises(StoreConflict):
            uow.commit()
    # GETs carry no key: any number of them may be recorded
    with UnitOfWork(engine) as uow:
        uow.session.add_all(
            [AmazonCallRow(operation="get_charge"), AmazonCallRow(operation="get_charge")]
        )
        uow.commit()
    assert count(engine, AmazonCallRow) == 3


def test_a_status_change_is_stored_with_its_history(engine):
    with UnitOfWork(engine) as uow:
        uow.documents.add(order())
        uow.commit()
    with UnitOfWork(engine) as uow:
        document = uow.documents.get("HB100001")
        assert document is not None
        for event, amount in [
            (Event.AUTHORIZED, None),
            (Event.ACTIVATION_REQUESTED, None),
            (Event.CAPTURED, Money("25.30", "EUR")),
            (Event.DECLINED, None),  # a late answer: recorded, not applied
        ]:
            document.payment, transition = document.payment.apply(event, amount)
            uow.documents.save_payment(document.number, document, transition)
        uow.commit()
    with UnitOfWork(engine) as uow:
        stored = uow.documents.get("HB100001")
        rows = uow.session.scalars(select(StatusEventRow).order_by(StatusEventRow.id))
        events = [(row.event, row.applied) for row in rows]
    assert stored is not None and stored.payment.status.value == "activated"
    assert stored.payment.captured == Money("25.30", "EUR")
    assert events == [
        ("authorized", True),
        ("activation_requested", True),
        ("captured", True),
        ("declined", False),
    ]


def test_existing_ids_are_found_across_many_values_and_every_kind(engine):
    with UnitOfWork(engine) as uow:
        document = order(permission="P1")
        document.charge_id = "C1"
        uow.documents.add(document)
        uow.commit()
    asked = [f"X{n}" for n in range(2500)] + ["C1", "P1"]
    with UnitOfWork(engine) as uow:
        assert uow.documents.existing_amazon_ids(asked) == {"C1", "P1"}
        assert uow.documents.existing_numbers([*asked, "HB100001"]) == {"HB100001"}

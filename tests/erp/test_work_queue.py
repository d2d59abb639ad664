"""The sweeper's queues: timed-out authorizations first, young pending ones polled with backoff."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update

from adapters.erp.schema import AmazonCallRow, AmazonRefRow, DocumentRow
from adapters.erp.store import UnitOfWork
from domain.payment_status import Status
from tests.erp.test_store import order

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
TIMEOUT = timedelta(minutes=15)


def pending(engine: Engine, number: str, age: timedelta, polled_ago: timedelta | None = None):
    """A pending order with a charge Amazon has not decided, `age` old, last polled when given."""
    with UnitOfWork(engine) as uow:
        uow.documents.add(order(number, permission=f"S01-{number}"))
        uow.session.flush()
        doc_id = uow.documents.id_of(number)
        created = NOW - age
        uow.session.execute(
            update(DocumentRow)
            .where(DocumentRow.id == doc_id)
            .values(payment_status=Status.PENDING.value, created_at=created, updated_at=created)
        )
        uow.session.add(
            AmazonRefRow(
                document_id=doc_id, kind="charge", amazon_id=f"S01-{number}-C01",
                state="AuthorizationInitiated",
            )
        )  # fmt: skip
        if polled_ago is not None:
            at = NOW - polled_ago
            uow.session.add(
                AmazonCallRow(
                    document_id=doc_id, operation="get_charge", created_at=at, answered_at=at,
                    applied_at=at, http_status=200,
                )
            )  # fmt: skip
        uow.commit()


def work(engine: Engine, pending_polls: int = 240):
    with UnitOfWork(engine) as uow:
        return uow.work(NOW, TIMEOUT, 1000, pending_polls)


def test_timed_out_authorizations_are_their_own_queue_oldest_first_however_recently_polled(
    engine,
):
    pending(engine, "HB1", timedelta(minutes=16), polled_ago=timedelta(seconds=5))
    pending(engine, "HB2", timedelta(minutes=40), polled_ago=timedelta(seconds=5))
    pending(engine, "HB3", timedelta(minutes=15))
    queue = work(engine)
    assert queue.overdue_candidates == ["HB2", "HB1", "HB3"]
    assert queue.to_poll == []


def test_a_young_pending_document_is_polled_once_then_each_time_its_age_doubles(engine):
    pending(engine, "HB1", timedelta(seconds=30))  # never looked at: polled
    pending(engine, "HB2", timedelta(minutes=4), polled_ago=timedelta(minutes=2))  # doubled
    pending(engine, "HB3", timedelta(minutes=4), polled_ago=timedelta(seconds=119))  # not yet
    pending(engine, "HB4", timedelta(minutes=10), polled_ago=timedelta(minutes=4))  # not yet
    pending(engine, "HB5", timedelta(minutes=10), polled_ago=timedelta(minutes=5))  # doubled
    queue = work(engine)
    assert queue.to_poll == ["HB5", "HB2", "HB1"]  # oldest first
    assert queue.overdue_candidates == []


def test_one_sweep_polls_at_most_its_share_of_young_pending_documents_oldest_first(engine):
    for minutes in (3, 1, 2, 5, 4):
        pending(engine, f"HB{minutes}", timedelta(minutes=minutes))
    pending(engine, "HB9", timedelta(minutes=20))
    queue = work(engine, pending_polls=2)
    assert queue.to_poll == ["HB5", "HB4"]
    assert queue.overdue_candidates == ["HB9"]  # never held back by the cap

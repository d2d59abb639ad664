"""The streamed import of report files: parsed, checked and staged chunk by chunk in the posting
transaction, booked from staging only when the whole report passed (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select, text

from adapters.erp.schema import PaymentRow, ReviewItemRow, SettlementReportRow
from adapters.erp.store import UnitOfWork
from adapters.reports import importer
from adapters.reports.report_file import Streamed
from domain.settlement.states import PostOutcome
from tests.posting.builders import ACCOUNTS, document, payments_of, store_documents
from tests.settlement.builders import envelope, item, order

SOURCE = "inbox:report.xml"
LIMIT = 1 << 20


def report_file(folder: Path, total: str = "58.18") -> Path:
    """Five orders (two rows each), RE-1 shipped in two parts, RE-9 matching no document."""
    orders = [
        order("302-0", "RE-0", item("10", principal="10.00", commission="-1.00")),
        order("302-1", "RE-1", item("11", principal="20.00", commission="-2.00")),
        order("302-2", "RE-2", item("12", principal="5.00", commission="-0.50")),
        order("302-1", "RE-1", item("13", principal="7.99", commission="-0.80")),
        order("302-9", "RE-9", item("19", principal="20.49", commission="-1.00")),
    ]
    path = folder / "report.xml"
    path.write_text(envelope(*orders, total=total), encoding="utf-8")
    return path


def store_orders(engine: Engine) -> None:
    store_documents(
        engine,
        document("RE-0", "10.00"),
        document("RE-1", "27.99"),
        document("RE-2", "6.00"),  # booked 5.00: a mismatch, posted all the same
    )


def import_file(engine: Engine, path: Path, chunk_rows: int) -> importer.Imported:
    """Import through the pipeline, the report read in chunks of `chunk_rows` rows."""
    with path.open("rb") as stream:
        report = Streamed(stream, LIMIT, path.stat().st_size, chunk_rows=chunk_rows)
        return importer.post_with(lambda: UnitOfWork(engine), ACCOUNTS, report, SOURCE)


def counts(engine: Engine) -> tuple[int, int, int]:
    with UnitOfWork(engine) as uow:
        return tuple(  # type: ignore[return-value]
            uow.session.scalar(select(func.count()).select_from(table)) or 0
            for table in (SettlementReportRow, PaymentRow, ReviewItemRow)
        )


def forget_posting(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in ("payments", "settlement_review", "settlement_reports"):
            connection.execute(text(f"DELETE FROM {table}"))


def test_a_report_staged_in_chunks_posts_what_the_whole_report_posts(engine, tmp_path):
    store_orders(engine)
    path = report_file(tmp_path)
    chunked = import_file(engine, path, chunk_rows=2)  # one order per chunk
    booked_in_chunks = payments_of(engine)
    forget_posting(engine)
    whole = import_file(engine, path, chunk_rows=1000)
    assert chunked.status is PostOutcome.POSTED and whole.status is PostOutcome.POSTED
    assert payments_of(engine) == booked_in_chunks
    assert ("RE-1", "8400", 2799, "order") in booked_in_chunks  # two chunks, one payment
    assert chunked.summary == whole.summary
    assert chunked.summary["rows"] == 10 and chunked.summary["unmatched_rows"] == 2
    assert chunked.posted is not None and whole.posted is not None
    assert chunked.posted.mismatches == whole.posted.mismatches
    assert chunked.posted.mismatches == [
        {"document": "RE-2", "gross_minor": 600, "booked_minor": 500}
    ]
    assert chunked.posted.review_sample == whole.posted.review_sample


def test_importing_the_same_report_file_twice_adds_nothing(engine, tmp_path):
    store_orders(engine)
    path = report_file(tmp_path)
    first = import_file(engine, path, chunk_rows=2)
    before = counts(engine)
    again = import_file(engine, path, chunk_rows=2)
    assert first.status is PostOutcome.POSTED and before == (1, 6, 2)
    assert again.status is PostOutcome.ALREADY_POSTED
    assert again.posted is not None and again.posted.same_content is True
    assert (again.summary["payments_created"], again.summary["rows"]) == (0, 10)
    assert counts(engine) == before


def test_a_rejected_report_stages_and_posts_nothing(engine, tmp_path):
    store_orders(engine)
    path = report_file(tmp_path, total="99.99")  # the stated total is not the sum
    rejected = import_file(engine, path, chunk_rows=2)
    assert rejected.status is PostOutcome.REJECTED
    assert rejected.summary["failed_expectations"] == ["sum_equals_stated_total"]
    assert counts(engine) == (1, 0, 0)  # the report row, REJECTED with its check
    with UnitOfWork(engine) as uow:
        stored = uow.session.scalars(select(SettlementReportRow)).one()
        assert (stored.status, stored.attempts) == ("rejected", 1)
        assert stored.validation is not None and stored.validation["valid"] is False
        assert not _staging_tables(uow)


def test_a_report_failing_in_a_later_chunk_leaves_nothing_half_posted(engine, tmp_path):
    store_orders(engine)
    path = report_file(tmp_path)
    text_ = path.read_text(encoding="utf-8")
    path.write_text(text_.replace("<MerchantOrderID>RE-9", "<MerchantOrderID>RE-9\0"))
    broken = import_file(engine, path, chunk_rows=2)  # four chunks staged, the fifth refused
    assert broken.status is PostOutcome.UNREADABLE
    assert counts(engine) == (0, 0, 0)
    with UnitOfWork(engine) as uow:
        assert not _staging_tables(uow)
    fixed = import_file(engine, report_file(tmp_path), chunk_rows=2)
    assert fixed.status is PostOutcome.POSTED and counts(engine) == (1, 6, 2)


def test_a_crash_while_booking_from_staging_leaves_nothing_behind(engine, tmp_path):
    store_orders(engine)
    with engine.begin() as connection:  # the review rows cannot be copied any more
        connection.execute(text("DROP TABLE settlement_review"))
    try:
        import_file(engine, report_file(tmp_path), chunk_rows=2)
    except Exception as problem:  # noqa: BLE001 - whatever the driver raises
        assert "settlement_review" in str(problem)
    else:
        raise AssertionError("the import should have failed")
    with UnitOfWork(engine) as uow:
        reports = uow.session.scalar(select(func.count()).select_from(SettlementReportRow))
        payments = uow.session.scalar(select(func.count()).select_from(PaymentRow))
    assert (reports, payments) == (0, 0)


def _staging_tables(uow: UnitOfWork) -> list[str]:
    """The staging tables this connection still sees (none outside a posting transaction)."""
    if uow.session.get_bind().dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
    else:
        query = "SELECT relname FROM pg_class WHERE relpersistence = 't' AND relkind = 'r'"
    return [name for (name,) in uow.session.execute(text(query)) if "stage" in name]

"""Posting into the store (SQLite, and PostgreSQL when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from adapters.erp.schema import (
    FinanceAccountRow,
    PaymentRow,
    ReviewItemRow,
    SettlementReportRow,
)
from adapters.erp.store import UnitOfWork
from domain.documents import DocumentType
from domain.settlement.states import PostOutcome, ReportSource, ReportStatus, SourceKind
from tests.posting.builders import (
    ACCOUNTS,
    WITH_CLEARING,
    document,
    order_rows,
    pay_by_hand,
    payments_of,
    post_report,
    report_of,
    review_items,
    row,
    store_documents,
    verdict,
)

SOURCE = ReportSource("inbox:report.xml", "a" * 64)


def counts(engine) -> tuple[int, int, int]:
    with UnitOfWork(engine) as uow:
        return tuple(
            uow.session.scalar(select(func.count()).select_from(table))
            for table in (SettlementReportRow, PaymentRow, ReviewItemRow)
        )


def report_row(engine, settlement_id: str = "900001") -> SettlementReportRow:
    """The stored report row, detached with its values loaded."""
    with UnitOfWork(engine) as uow:
        query = select(SettlementReportRow).filter_by(settlement_id=settlement_id)
        found = uow.session.scalars(query).one()
        uow.session.expunge(found)
        return found


def test_posting_books_each_kind_to_its_account_and_seeds_the_accounts(engine):
    store_documents(
        engine,
        document("HB1", "16.99", charge_permission="P01-1"),
        document("GS1", "5.00", doc_type=DocumentType.CREDIT_NOTE, refers_to="HB0"),
        document("HB0", "5.00"),
    )
    pay_by_hand(engine, "HB0", 500)
    report = report_of(
        [
            *order_rows("HB1", 1699, -255, line=1),
            row("refund", "ItemPriceAdjustments", "Principal", -500, merchant="HB0", line=3),
            row("transfer", "Transaction", "TransactionAmount", -1000, line=4),
        ]
    )
    result = post_report(engine, report, verdict(), WITH_CLEARING, SOURCE)
    assert (result.status, result.payments_created, result.unmatched_rows) == (
        PostOutcome.POSTED,
        4,
        0,
    )
    assert payments_of(engine) == [
        (None, "1360", -1000, "transfer"),
        ("GS1", "4900", -500, "refund"),
        ("HB0", "1200", 500, None),  # the payment entered by hand, untouched
        ("HB1", "4970", -255, "order"),
        ("HB1", "8400", 1699, "order"),
    ]
    with UnitOfWork(engine) as uow:
        query = select(FinanceAccountRow.code, FinanceAccountRow.kind)
        kinds = {code: kind for code, kind in uow.session.execute(query)}
    assert kinds == {
        "8400": "income",
        "4900": "expenses",
        "4970": "fees",
        "1360": "clearing",
        "1200": "bank",
    }
    stored = report_row(engine)
    assert (stored.status, stored.attempts, stored.posted_at is not None) == ("posted", 1, True)
    assert stored.validation["valid"] is True


def test_a_document_paid_by_an_earlier_report_or_by_hand_gets_no_payment(engine):
    store_documents(engine, document("HB1"), document("HB2"), document("HB3"))
    post_report(
        engine, report_of(order_rows("HB1", 1000, -100, 1), "800001"), verdict(), ACCOUNTS, SOURCE
    )
    pay_by_hand(engine, "HB2", 1000)
    later = report_of(
        [
            *order_rows("HB1", 1000, -100, 1),
            *order_rows("HB2", 1000, -100, 3),
            *order_rows("HB3", 1000, -100, 5),
        ],
        "800002",
    )
    result = post_report(engine, later, verdict(), ACCOUNTS, ReportSource("inbox:later.xml"))
    assert (result.payments_created, result.unmatched_rows) == (2, 4)
    review = review_items(engine, "800002")
    assert [(r["document_number"], r["reason"]) for r in review] == [
        ("HB1", "document HB1 already has a payment"),
        ("HB1", "document HB1 already has a payment"),
        ("HB2", "document HB2 already has a payment"),
        ("HB2", "document HB2 already has a payment"),
    ]
    assert [p for p in payments_of(engine) if p[0] == "HB3"] == [
        ("HB3", "4970", -100, "order"),
        ("HB3", "8400", 1000, "order"),
    ]


def test_unmatched_rows_are_kept_for_review_with_their_amounts(engine):
    report = report_of(
        [*order_rows("NOPE", 1000, -100, 1), row("other", "Other", "Fee", -39, line=3)]
    )
    result = post_report(engine, report, verdict(), ACCOUNTS, SOURCE)
    assert (result.status, result.payments_created, result.unmatched_rows) == ("posted", 0, 3)
    review = review_items(engine, "900001")
    assert [(r["source_line"], r["amount_minor"]) for r in review] == [
        (1, 1000),
        (2, -100),
        (3, -39),
    ]
    assert review[0]["row"]["merchant_order_id"] == "NOPE"
    assert len(result.review_sample) == 3


def test_importing_the_same_report_again_adds_nothing(engine):
    store_documents(engine, document("HB1"))
    report = report_of([*order_rows("HB1", 1000, -100, 1), *order_rows("NOPE", 5, -1, 3)])
    first = post_report(engine, report, verdict(), ACCOUNTS, SOURCE)
    before = counts(engine)
    again = post_report(engine, report, verdict(), ACCOUNTS, SOURCE)
    changed = post_report(engine, report, verdict(), ACCOUNTS, ReportSource("x", "b" * 64))
    assert first.status == PostOutcome.POSTED and before == (1, 2, 2)
    assert (again.status, again.payments_created, again.unmatched_rows) == ("already_posted", 0, 0)
    assert again.same_content is True and changed.same_content is False
    assert counts(engine) == before
    assert report_row(engine).attempts == 1


def test_a_rejected_report_posts_nothing_keeps_its_verdict_and_posts_once_corrected(engine):
    store_documents(engine, document("HB1"))
    report = report_of(order_rows("HB1", 1000, -100, 1))
    rejected = post_report(engine, report, verdict(valid=False), ACCOUNTS, SOURCE)
    assert rejected.status == PostOutcome.REJECTED
    assert counts(engine) == (1, 0, 0)
    stored = report_row(engine)
    assert stored.status == "rejected"
    assert stored.validation["failed_expectations"] == ["sum_equals_stated_total"]
    assert stored.validation["results"][0]["offending_rows"] == [{"source_line": 3}]
    corrected = post_report(engine, report, verdict(), ACCOUNTS, ReportSource("inbox:fixed.xml"))
    assert (corrected.status, corrected.payments_created, corrected.attempts) == ("posted", 2, 2)
    assert report_row(engine).source == "inbox:fixed.xml"
    assert counts(engine) == (1, 2, 0)


def test_a_failure_while_posting_leaves_nothing_behind(engine):
    store_documents(engine, document("HB1"))
    with engine.begin() as connection:  # review rows cannot be written any more
        connection.execute(text("DROP TABLE settlement_review"))
    report = report_of([*order_rows("HB1", 1000, -100, 1), *order_rows("NOPE", 5, -1, 3)])
    with pytest.raises(Exception, match="settlement_review"):
        post_report(engine, report, verdict(), ACCOUNTS, SOURCE)
    with UnitOfWork(engine) as uow:
        reports = uow.session.scalar(select(func.count()).select_from(SettlementReportRow))
        payments = uow.session.scalar(select(func.count()).select_from(PaymentRow))
    assert (reports, payments) == (0, 0)


def test_the_stored_status_and_source_stay_the_plain_strings_of_before(engine):
    store_documents(engine, document("HB1"))
    report = report_of(order_rows("HB1", 1000, -100, 1))
    source = ReportSource.of(SourceKind.INBOX, "report.xml", "a" * 64)
    posted = post_report(engine, report, verdict(), ACCOUNTS, source)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT status, source FROM settlement_reports")).one()
    assert tuple(stored) == ("posted", "inbox:report.xml")
    assert stored.status == ReportStatus.POSTED and posted.status is PostOutcome.POSTED

"""Two different reports posted at the same moment that name the same documents in opposite
chunk order: both post, each document is paid by one of them, and neither deadlocks.

Each racer stages its first chunk (which locks that chunk's document) and then waits for the
other before its second chunk, which names the document the other one locked. Posters that
locked documents chunk by chunk would wait for each other here (PostgreSQL aborts one with a
deadlock); the store lets one poster at a time post, so the other waits at the report's lock.
The meeting point gives up after a few seconds, so a racer that waits elsewhere goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

from sqlalchemy import select

from adapters.erp.schema import DocumentRow, PaymentRow, SettlementReportRow
from adapters.erp.store import UnitOfWork
from adapters.reports import importer
from domain.settlement.model import ReportChunk
from domain.settlement.states import ReportSource
from tests.posting.builders import (
    ACCOUNTS,
    Given,
    document,
    frame_of,
    order_rows,
    report_of,
    store_documents,
    verdict,
)
from tests.posting.test_concurrent_imports import stored

MEETING_SECONDS = 5.0


class Crossing(Given):
    """A report in two chunks that waits at the meeting point between them."""

    def __init__(self, settlement_id: str, first: str, second: str, meet: threading.Barrier):
        self.parts = [order_rows(first, 1000, -100, 1), order_rows(second, 2000, -200, 3)]
        super().__init__(report_of(self.parts[0] + self.parts[1], settlement_id), verdict(), None)
        self.settlement_id, self.meet = settlement_id, meet

    def chunks(self) -> Iterator[ReportChunk]:
        header = self.report.header
        yield ReportChunk(header, frame_of(self.parts[0], self.settlement_id), 0)
        with suppress(threading.BrokenBarrierError):  # the other racer waits elsewhere: go on
            self.meet.wait(MEETING_SECONDS)
        second = frame_of(self.parts[1], self.settlement_id)
        yield ReportChunk(header, second, len(self.parts[0]), final=True)


def paid_by(engine) -> dict[str, set[str]]:
    """Document number -> the settlement ids its payments came from."""
    query = (
        select(DocumentRow.number, SettlementReportRow.settlement_id)
        .join(PaymentRow, PaymentRow.document_id == DocumentRow.id)
        .join(SettlementReportRow, PaymentRow.settlement_report_id == SettlementReportRow.id)
    )
    found: dict[str, set[str]] = {}
    with UnitOfWork(engine) as uow:
        for number, settlement_id in uow.session.execute(query):
            found.setdefault(number, set()).add(settlement_id)
    return found


def test_two_reports_crossing_documents_both_post_and_pay_each_document_once(engine):
    store_documents(engine, document("CROSS-X"), document("CROSS-Y"))
    meet = threading.Barrier(2)
    reports = [
        Crossing("710001", "CROSS-X", "CROSS-Y", meet),
        Crossing("710002", "CROSS-Y", "CROSS-X", meet),
    ]

    def racer(report: Crossing) -> str:
        source = ReportSource(f"racer-{report.settlement_id}")
        imported = importer.post_with(lambda: UnitOfWork(engine), ACCOUNTS, report, source.name)
        return imported.status.value

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = list(pool.map(racer, reports))

    assert statuses == ["posted", "posted"]
    paid = paid_by(engine)
    assert sorted(paid) == ["CROSS-X", "CROSS-Y"]
    assert all(len(settlements) == 1 for settlements in paid.values()), paid
    # two payments (principal, commission) on each document; the later report's four rows
    # found both documents paid and went to review
    assert stored(engine) == (2, 4, 4)

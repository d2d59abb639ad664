"""Two imports of one report at the same moment: exactly one posts, nothing doubles.

The racers are released together by a barrier right before posting, so both reach the store's
transaction at once: real threads on one engine, and real processes with engines of their own.
"""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from sqlalchemy import func, select

from adapters.erp.schema import PaymentRow, ReviewItemRow, SettlementReportRow
from adapters.erp.store import UnitOfWork
from domain.settlement.states import ReportSource
from tests.posting.builders import (
    ACCOUNTS,
    document,
    order_rows,
    post_report,
    report_of,
    store_documents,
    verdict,
)
from tests.posting.racer import post_when_released

ORDERS = 200


def big_report(settlement_id: str):
    rows = [r for n in range(ORDERS) for r in order_rows(f"HB{n}", 1000, -100, 2 * n + 1)]
    rows += order_rows("NOPE", 5, -1, 2 * ORDERS + 1)  # two rows for the review list
    return report_of(rows, settlement_id)


def stored(engine) -> tuple[int, int, int]:
    with UnitOfWork(engine) as uow:
        return tuple(
            uow.session.scalar(select(func.count()).select_from(table))
            for table in (SettlementReportRow, PaymentRow, ReviewItemRow)
        )


def test_two_threads_importing_one_report_at_once_post_it_once(engine):
    store_documents(engine, *(document(f"HB{n}") for n in range(ORDERS)))
    report = big_report("700001")
    barrier = threading.Barrier(2)

    def racer(name: str) -> str:
        barrier.wait(timeout=30)
        return post_report(engine, report, verdict(), ACCOUNTS, ReportSource(name)).status.value

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(racer, ["thread-a", "thread-b"]))
    assert statuses == ["already_posted", "posted"]
    assert stored(engine) == (1, 2 * ORDERS, 2)


def test_two_processes_importing_one_report_at_once_post_it_once(engine, database_url):
    store_documents(engine, *(document(f"HB{n}") for n in range(ORDERS)))
    report_bytes = pickle.dumps(big_report("700002"))
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(2)
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures = [
            pool.submit(post_when_released, database_url, report_bytes, barrier, f"process-{n}")
            for n in range(2)
        ]
        statuses = sorted(future.result(timeout=120) for future in futures)
    assert statuses == ["already_posted", "posted"]
    assert stored(engine) == (1, 2 * ORDERS, 2)

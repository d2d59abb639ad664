"""Benchmark: parse, check and post a 100,000-order XML settlement report, beside a bare pass.

Run from the repository root:  .venv/bin/python bench/settlement_pipeline.py [--orders N]
    [--database-url URL]   (default: a fresh SQLite file under bench/out/)

It generates the report once with the sandbox generator (bench/out/pipeline-<N>.xml, every order
with an ERP document number), stores one ERP document per order (bulk inserts, not timed), then
times each step on its own: the bare lxml iterparse pass that reads every money leaf,
parse_report, the quality check (GX loaded beforehand, not timed) and the post (store view,
matching plan, payments and review rows in one transaction). Peak memory is the process's
resident high-water mark after each step.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import pandas as pd  # noqa: E402
from sqlalchemy import Engine, insert, select  # noqa: E402

from adapters.erp.migrate import upgrade  # noqa: E402
from adapters.erp.schema import DocumentRow, ItemRow  # noqa: E402
from adapters.erp.store import UnitOfWork, make_engine  # noqa: E402
from adapters.quality.engine import validation_engine  # noqa: E402
from adapters.quality.runner import check_report  # noqa: E402
from bench.settlement_parse import bare_pass, parse_file  # noqa: E402
from domain.settlement.posting import Accounts  # noqa: E402
from domain.settlement.states import PostResult, ReportSource  # noqa: E402
from sandbox.settlement_xml import write_settlement_xml  # noqa: E402
from services.settlements import post_with  # noqa: E402

ACCOUNTS = Accounts(income="8400", expenses="4900", fees="4970")
BATCH = 10_000
T = TypeVar("T")


def peak_mb() -> float:
    """The process's resident high-water mark so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report_file(orders: int) -> Path:
    """The generated report, every order carrying an ERP document number (kept for reruns)."""
    path = ROOT / "bench" / "out" / f"pipeline-{orders}.xml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        numbers = [f"HB{n:07d}" for n in range(orders)]
        write_settlement_xml(path, orders=orders, seed=1, merchant_order_ids=numbers)
    return path


def store_with_documents(url: str | None, frame: pd.DataFrame) -> Engine:
    """A fresh store holding one order document per merchant order id of the report."""
    if url is None:
        path = ROOT / "bench" / "out" / "pipeline.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    income = frame["amount_group"].isin(["ItemPrice", "Promotion"])
    prices = frame[frame["transaction_kind"].eq("order") & income]
    gross = prices.groupby("merchant_order_id")["amount_minor"].sum()
    with engine.begin() as connection:
        for start in range(0, len(gross), BATCH):
            part = gross.iloc[start : start + BATCH]
            connection.execute(insert(DocumentRow), [_document(str(n)) for n in part.index])
            numbers = [str(n) for n in part.index]
            ids = dict(
                connection.execute(
                    select(DocumentRow.number, DocumentRow.id).where(
                        DocumentRow.number.in_(numbers)
                    )
                ).all()
            )
            connection.execute(
                insert(ItemRow),
                [_item(ids[str(n)], int(minor)) for n, minor in part.items()],
            )
    return engine


def _document(number: str) -> dict[str, object]:
    return {
        "number": number, "doc_type": "order", "currency": "EUR", "customer_name": "Bench",
        "customer_email": "bench@example.org", "payment_status": "activated",
        "captured_minor": 0, "refunded_minor": 0, "dunning_lock": True,
    }  # fmt: skip


def _item(document_id: int, minor: int) -> dict[str, object]:
    return {
        "document_id": document_id, "position": 1, "kind": "item", "sku": "BENCH",
        "name": "Bench", "quantity": 1, "unit_price_minor": minor,
    }  # fmt: skip


def timed(label: str, function: Callable[..., T], *args: object) -> tuple[float, T]:
    """Run once; print the seconds and the peak memory so far."""
    started = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - started
    print(f"{label:<28}{seconds:8.2f} s   peak RSS so far {peak_mb():7.0f} MB", flush=True)
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    path = report_file(args.orders)
    print(f"report {path.name}: {path.stat().st_size / 1e6:.1f} MB; start {peak_mb():.0f} MB")
    bare, _total = timed("bare iterparse pass", bare_pass, path)
    parse, report = timed("parse_report", parse_file, path)
    frame = report.frame
    print(f"  {len(frame)} rows, frame {frame.memory_usage(deep=True).sum() / 1e6:.0f} MB")
    engine = store_with_documents(args.database_url, frame)
    validation_engine()  # GX import and suites: a one-off per process, not per report
    check, result = timed("check_report (GX)", check_report, report)
    assert result.valid, result.message()
    source = ReportSource(f"bench:{path.name}")

    def post_report() -> PostResult:
        return post_with(lambda: UnitOfWork(engine), ACCOUNTS, report, result, source)

    post, posted = timed("post_report", post_report)
    print(
        f"  {posted.status}: {posted.payments_created} payments, {posted.unmatched_rows} rows "
        f"to review, {len(posted.mismatches)} mismatches ({engine.dialect.name})"
    )
    again, repeat = timed("post_report again", post_report)
    assert repeat.status == "already_posted"
    print(
        f"ratios to the bare pass: parse {parse / bare:.2f}, check {check / bare:.2f}, "
        f"post {post / bare:.2f}, whole pipeline {(parse + check + post) / bare:.2f}"
    )


if __name__ == "__main__":
    main()

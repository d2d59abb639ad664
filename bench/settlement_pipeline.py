"""Benchmark: `settlement import` of a generated 250,000-order XML report on PostgreSQL (parse,
check and post, streamed) as whole processes, beside a bare `lxml.etree.iterparse` pass.

Run from the repository root:
    .venv/bin/python bench/settlement_pipeline.py [--orders 250000] [--pairs 3]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

The report is generated once into bench/out/pipeline-<N>.xml (never committed; every order
carries an ERP document number) and the store is prepared once in a PostgreSQL schema of its own
(`bench_pipeline`, recreated): migrated, one order document per merchant order id (not timed).
Then, alternately, fresh interpreters run (A) the bare pass that reads every money leaf,
(B) `iter_report` + `check_report_chunks` alone (parse and check, nothing posted) and (C)
`amazon-payments settlement import FILE --json` (the real command: parse, check, stage, post,
commit); before each C the previous run's report, payments and review rows are deleted (not
timed). Start-up and imports are included; ratios are taken run by run against the A of the
same round (medians printed), each process's peak RSS is the kernel's account of the finished
child (wait4). One more C on the posted store shows `already_posted` (adds nothing).
Targets, not asserted: C <= 3.0x A, C's peak RSS <= 450 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from bench.settlement_parse import run_child  # noqa: E402

SCHEMA = "bench_pipeline"
BATCH = 10_000
MAX_BYTES = 8 * 2**30
DEFAULT_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def report_file(orders: int) -> Path:
    """The generated report, every order carrying an ERP document number (kept for reruns)."""
    from sandbox.settlement_xml import write_settlement_xml

    path = ROOT / "bench" / "out" / f"pipeline-{orders}.xml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        numbers = [f"HB{n:07d}" for n in range(orders)]
        write_settlement_xml(path, orders=orders, seed=1, merchant_order_ids=numbers)
    return path


def schema_url(url: str) -> str:
    """The URL whose connections land in the bench's schema."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{SCHEMA}"


def prepare_store(url: str, path: Path) -> str:
    """A fresh schema, migrated, holding one order document (with its gross) per order."""
    from sqlalchemy import insert, select, text

    from adapters.erp.migrate import upgrade
    from adapters.erp.schema import DocumentRow, ItemRow
    from adapters.erp.store import make_engine
    from adapters.settlement_formats.parse import iter_report

    with make_engine(url).begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    engine = make_engine(schema_url(url))
    upgrade(engine)
    gross: dict[str, int] = {}
    with path.open("rb") as stream:
        for chunk in iter_report(stream, max_bytes=MAX_BYTES):
            frame = chunk.frame
            income = frame["amount_group"].isin(["ItemPrice", "Promotion"])
            prices = frame[frame["transaction_kind"].eq("order") & income]
            for number, minor in prices.groupby("merchant_order_id")["amount_minor"].sum().items():
                gross[str(number)] = gross.get(str(number), 0) + int(minor)
    numbers = sorted(gross)
    with engine.begin() as connection:
        for start in range(0, len(numbers), BATCH):
            part = numbers[start : start + BATCH]
            connection.execute(insert(DocumentRow), [_document(n) for n in part])
            query = select(DocumentRow.number, DocumentRow.id).where(DocumentRow.number.in_(part))
            ids = dict(connection.execute(query).all())
            connection.execute(insert(ItemRow), [_item(ids[n], gross[n]) for n in part])
    engine.dispose()
    return schema_url(url)


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


def forget_posting(url: str) -> None:
    """Delete what the last import stored, so that the next one posts again (not timed)."""
    from sqlalchemy import text

    from adapters.erp.store import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        for table in ("payments", "settlement_review", "settlement_reports"):
            connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


def bare_command(path: Path) -> list[str]:
    code = f"from bench.settlement_parse import bare_pass; print(bare_pass({str(path)!r}))"
    return [sys.executable, "-c", code]


def check_command(path: Path) -> list[str]:
    code = (
        "import json; from bench.settlement_parse import stream_and_check; "
        f"print(json.dumps(stream_and_check(__import__('pathlib').Path({str(path)!r}))))"
    )
    return [sys.executable, "-c", code]


def import_command(path: Path) -> list[str]:
    cli = str(Path(sys.executable).parent / "amazon-payments")
    return [cli, "settlement", "import", str(path), "--json"]


def in_child(call: str) -> None:
    """Run `bench.settlement_pipeline.<call>` in a child, so that this process stays small: a
    forked child's peak RSS starts at its parent's."""
    code = f"from bench.settlement_pipeline import *; {call}"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def run(command: list[str], url: str | None = None) -> dict[str, Any]:
    if url is not None:
        os.environ["AMAZON_PAYMENTS_DATABASE_URL"] = url
    return run_child(command)


def line(label: str, result: dict[str, Any], bare: dict[str, Any] | None = None) -> str:
    ratio = ""
    if bare is not None:
        ratio = (
            f"  x{result['cpu'] / bare['cpu']:.2f} CPU, x{result['wall'] / bare['wall']:.2f} wall"
        )
    return (
        f"{label:<28}{result['wall']:7.1f} s wall {result['cpu']:7.1f} s CPU "
        f"{result['peak_mb']:7.0f} MB peak{ratio}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=250_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    in_child(f"report_file({args.orders})")
    path = ROOT / "bench" / "out" / f"pipeline-{args.orders}.xml"
    print(f"report {path.name}: {path.stat().st_size / 1e6:.0f} MB", flush=True)
    in_child(f"prepare_store({args.database_url!r}, Path({str(path)!r}))")
    url = schema_url(args.database_url)
    print(f"store: PostgreSQL schema {SCHEMA}, documents stored", flush=True)
    ratios: dict[str, list[float]] = {"check": [], "import": [], "import_wall": []}
    peaks: dict[str, list[float]] = {"bare": [], "check": [], "import": []}
    for round_ in range(1, args.pairs + 1):
        bare = run(bare_command(path))
        print(line(f"[{round_}] bare iterparse", bare), flush=True)
        checked = run(check_command(path))
        print(line(f"[{round_}] parse + check", checked, bare), flush=True)
        in_child(f"forget_posting({url!r})")
        imported = run(import_command(path), url)
        outcome = json.loads(imported["output"])
        assert outcome["status"] == "posted", outcome
        print(line(f"[{round_}] settlement import", imported, bare), flush=True)
        print(
            f"    {outcome['status']}: {outcome['rows']} rows, {outcome['payments_created']} "
            f"payments, {outcome['unmatched_rows']} rows to review",
            flush=True,
        )
        ratios["check"].append(checked["cpu"] / bare["cpu"])
        ratios["import"].append(imported["cpu"] / bare["cpu"])
        ratios["import_wall"].append(imported["wall"] / bare["wall"])
        post_cpu = imported["cpu"] - checked["cpu"]
        print(f"    post (import - parse/check): {post_cpu:.1f} s CPU", flush=True)
        for name, result in (("bare", bare), ("check", checked), ("import", imported)):
            peaks[name].append(result["peak_mb"])
    again = run(import_command(path), url)
    assert json.loads(again["output"])["status"] == "already_posted"
    print(line("import again (posted)", again), flush=True)
    median = statistics.median
    print(
        f"medians: parse+check x{median(ratios['check']):.2f} CPU; settlement import "
        f"x{median(ratios['import']):.2f} CPU (x{median(ratios['import_wall']):.2f} wall) "
        f"of the bare pass; peak RSS bare {max(peaks['bare']):.0f} MB, parse+check "
        f"{max(peaks['check']):.0f} MB, import {max(peaks['import']):.0f} MB "
        f"(targets x3.0, 450 MB)"
    )


if __name__ == "__main__":
    main()

"""The settlement flows under the real Prefect engine: inbox and Reports API, end to end.

Flow runs are few (each costs about a second on the shared harness): one test runs the daily
flow twice and the backfill once over one store; one shows the import switch.
"""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.settlement import backfill_settlements, reconcile_settlements
from sandbox.settlement_xml import write_settlement_xml
from tasks import settlement as steps
from tests.posting.builders import document, last_success, payments_of, store_documents

ORDERS = {"HB1": "10.00", "HB2": "20.00", "HB3": "30.00", "HB4": "40.00"}


@pytest.fixture
def inbox(prefect_harness, monkeypatch, database_url, tmp_path):
    """The flows' settings point at this test's store and an empty inbox; no Amazon Pay."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    monkeypatch.setenv("AMAZON_PAYMENTS_DATABASE_URL", database_url)
    monkeypatch.setenv("AMAZON_PAYMENTS_INBOX_DIR", str(folder))
    monkeypatch.setenv("AMAZON_PAYMENTS_REVIEW_DIR", str(tmp_path / "review"))
    for name in ("PUBLIC_KEY_ID", "PRIVATE_KEY", "BASE_URL"):
        monkeypatch.delenv(f"AMAZON_PAY_{name}", raising=False)
    return folder


async def run_names() -> list[str]:
    async with get_client() as client:
        return [run.name for run in await client.read_flow_runs()]


def artifact_keys(*keys: str) -> dict[str, object]:
    """The newest artifact of each key that exists."""
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=list(keys)))
        )
    return {artifact.key: artifact.data for artifact in reversed(found)}


def test_daily_run_posts_inbox_and_api_reports_once_and_backfill_adds_nothing(
    inbox, engine, amazon_env, tmp_path
):
    review_dir = tmp_path / "review"
    store_documents(
        engine, *(document(n, gross, charge_permission=f"P-{n}") for n, gross in ORDERS.items())
    )
    permission, _charge = amazon_env.captured("HB5", "20.00")
    store_documents(engine, document("HB5", "20.00", charge_permission=permission))
    amazon_env.close_period()
    good = write_settlement_xml(
        inbox / "good.xml",
        orders=4,
        seed=3,
        merchant_order_ids=list(ORDERS),
        order_amounts=list(ORDERS.values()),
        refunds_share=0.5,
    )
    bad = write_settlement_xml(inbox / "bad.xml", orders=2, seed=4, settlement_id="4242")
    text = (inbox / "bad.xml").read_text()
    wrong = bad.total.amount + Decimal("0.01")  # TotalAmount no longer the sum of the rows
    (inbox / "bad.xml").write_text(text.replace(f">{bad.total.amount}<", f">{wrong}<", 1))
    (inbox / "notes.csv").write_text("this is not a settlement report\n")

    state = reconcile_settlements(return_state=True)

    assert (state.type.value, state.name) == ("FAILED", "Rejected")  # the worst outcome
    assert "inbox:bad.xml" in state.message and "inbox:notes.csv" in state.message
    assert "Traceback" not in state.message
    summary = state.result(raise_on_failure=False)
    assert (summary["posted"], summary["rejected"], summary["unreadable"]) == (2, 1, 1)
    assert summary["errors"] == [] and summary["already_posted"] == 0
    booked = payments_of(engine)
    income = {d: m for d, a, m, k in booked if a == "8400"}
    assert income == {"HB1": 1000, "HB2": 2000, "HB3": 3000, "HB4": 4000, "HB5": 2000}
    assert [(d, m) for d, a, m, k in booked if a == "4900"] == [("HB4", -4000)]  # the refund
    # XML: 3 other transactions and a reserve; CSV: the payout (3 rows); no clearing account.
    assert summary["unmatched_rows"] == 4 + 3
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["good.xml"]
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == ["bad.xml", "notes.csv"]
    assert last_success(engine, "amazon-pay-api") is not None
    artifacts = artifact_keys(
        "reconcile-settlements-summary", "settlement-review", "settlement-4242-failed-expectations"
    )
    assert len(artifacts) == 3
    assert good.settlement_id in str(artifacts["reconcile-settlements-summary"])
    assert "sum_equals_stated_total" in str(artifacts["settlement-4242-failed-expectations"])
    review = str(artifacts["settlement-review"])
    assert f"## Settlement {good.settlement_id}" in review and "| reason | rows | sum |" in review
    csv_path = review_dir / f"settlement-{good.settlement_id}-review.csv"
    with csv_path.open(encoding="utf-8") as lines:
        rows = list(csv.DictReader(lines))
    assert len(rows) == 4  # the XML report's rows to review (the CSV report's are its own file)
    assert {"amount_type", "reason", "amount"} <= set(rows[0])

    (inbox / "good.xml").write_bytes((inbox / "done" / "good.xml").read_bytes())
    again_state = reconcile_settlements(return_state=True)
    assert (again_state.type.value, again_state.name) == ("COMPLETED", "AlreadyPosted")
    again = again_state.result()
    assert (again["posted"], again["already_posted"], again["payments_created"]) == (0, 2, 0)
    today = datetime.now(UTC).date()
    start, end = today - timedelta(days=1), today + timedelta(days=1)
    backfill_state = backfill_settlements(start, end, return_state=True)
    assert backfill_state.name == "AlreadyPosted"
    backfill = backfill_state.result()
    assert (backfill["reports"], backfill["already_posted"], backfill["posted"]) == (1, 1, 0)
    names = asyncio.run(run_names())
    assert f"backfill-settlements-{start}..{end}" in names
    assert any(name.startswith("reconcile-settlements-20") for name in names)
    assert payments_of(engine) == booked


def test_nothing_is_imported_while_import_settlements_is_off(inbox, engine, monkeypatch):
    monkeypatch.setenv("AMAZON_PAYMENTS_IMPORT_SETTLEMENTS", "false")
    write_settlement_xml(inbox / "waiting.xml", orders=1, seed=5)
    state = reconcile_settlements(return_state=True)
    assert (state.type.value, state.name) == ("COMPLETED", "NothingNew")
    summary = state.result()
    assert summary["reports"] == 0
    assert any("import_settlements is off" in note for note in summary["notes"])
    assert (inbox / "waiting.xml").exists() and payments_of(engine) == []


def test_a_run_that_posts_is_posted_and_one_whose_source_fails_ends_as_errors(
    inbox, engine, amazon_env, monkeypatch
):
    store_documents(engine, *(document(n, gross) for n, gross in ORDERS.items()))
    write_settlement_xml(
        inbox / "good.xml",
        orders=4,
        seed=6,
        merchant_order_ids=list(ORDERS),
        order_amounts=list(ORDERS.values()),
    )
    posted = reconcile_settlements(return_state=True)
    assert (posted.type.value, posted.name) == ("COMPLETED", "Posted")
    assert posted.result()["posted"] == 1
    monkeypatch.setenv("AMAZON_PAY_BASE_URL", "http://127.0.0.1:9")  # Amazon does not answer
    quick = steps.list_api_reports.with_options(retries=0)  # not minutes of the task's backoff
    monkeypatch.setattr(steps, "list_api_reports", quick)
    failed = reconcile_settlements(return_state=True)
    assert (failed.type.value, failed.name) == ("FAILED", "Errors")
    assert "Get Reports failed" in failed.message and "Traceback" not in failed.message

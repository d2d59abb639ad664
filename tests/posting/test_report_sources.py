"""Where settlement files come from: the inbox folder, and the Reports API of the sandbox."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from adapters.reports import amazon_api, inbox
from adapters.settings import ModuleSettings
from domain.settlement.model import ReportError
from services import settlements
from services.resources import Resources
from tests.posting.builders import (
    document,
    last_success,
    payments_of,
    record_success,
    store_documents,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def test_inbox_lists_report_files_oldest_first_and_skips_partial_and_hidden_ones(tmp_path):
    for name, age in (("b.xml", 10), ("a.csv", 20), ("c.TXT", 5), ("d.part", 1), (".e.xml", 1)):
        path = tmp_path / name
        path.write_bytes(b"x")
        os.utime(path, (NOW.timestamp() - age, NOW.timestamp() - age))
    (tmp_path / "done").mkdir()
    assert [p.name for p in inbox.pending_files(tmp_path)] == ["a.csv", "b.xml", "c.TXT"]
    assert inbox.pending_files(tmp_path / "missing") == []


def test_inbox_moves_processed_files_without_overwriting_earlier_ones(tmp_path):
    for _ in range(2):
        (tmp_path / "r.xml").write_bytes(b"x")
        inbox.move_processed(tmp_path / "r.xml", inbox.DONE)
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["r.1.xml", "r.xml"]
    with pytest.raises(ValueError, match="outcome"):
        inbox.move_processed(tmp_path / "done" / "r.xml", "elsewhere")


def test_inbox_refuses_a_file_above_the_size_limit_before_reading_it(tmp_path):
    (tmp_path / "big.xml").write_bytes(b"x" * 11)
    with pytest.raises(ReportError, match="big.xml has 11 bytes, more than the limit of 10"):
        inbox.read_report_file(tmp_path / "big.xml", 10)


def test_listing_starts_at_the_last_success_with_overlap_but_never_beyond_90_days():
    assert amazon_api.created_since(None, NOW) == NOW - timedelta(days=90)
    assert amazon_api.created_since(NOW - timedelta(days=1), NOW) == NOW - timedelta(
        days=1, hours=1
    )
    assert amazon_api.created_since(NOW - timedelta(days=200), NOW) == NOW - timedelta(days=90)


def test_the_cursor_remembers_the_latest_complete_listing(engine):
    assert last_success(engine, "amazon-pay-api") is None
    record_success(engine, "amazon-pay-api", NOW)
    record_success(engine, "amazon-pay-api", NOW - timedelta(hours=1))  # a late, older run
    assert last_success(engine, "amazon-pay-api") == NOW


def test_reports_api_lists_every_page_and_downloaded_reports_post_on_the_documents(
    amazon, engine, tmp_path
):
    charges = {}
    for number in ("HB1", "HB2", "HB3"):
        permission, charges[number] = amazon.captured(number, "20.00")
        store_documents(engine, document(number, "20.00", charge_permission=permission))
        amazon.close_period()  # one report per capture: three reports, three pages of one
    since = datetime.now(UTC) - timedelta(days=1)
    listed = amazon_api.list_settlement_reports(amazon.client, since, page_size=1)
    assert len(listed) == 3 and len({r.report_id for r in listed}) == 3
    assert [r.created for r in listed] == sorted(r.created for r in listed)
    res = Resources(engine, amazon.client, ModuleSettings(database_url="sqlite://"))
    for report in listed:
        path = settlements.download(res, report, tmp_path / "downloads")
        summary = settlements.import_report(res, path, report.source).summary
        assert (summary["status"], summary["valid"]) == ("posted", True)
        assert summary["unmatched_rows"] == 3  # the payout (transfer): no clearing account
    booked = payments_of(engine)
    assert [(d, a, m) for d, a, m, _k in booked if a == "8400"] == [
        ("HB1", "8400", 2000),
        ("HB2", "8400", 2000),
        ("HB3", "8400", 2000),
    ]
    assert all(m == -73 for _d, a, m, _k in booked if a == "4970")  # 1.9 % + 0.35 of 20.00
    assert settlements.posted_sources(res, [r.source for r in listed] + ["amazon-pay:x"]) == {
        r.source for r in listed
    }

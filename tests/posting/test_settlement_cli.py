"""`amazon-payments settlement parse|import` as a user runs them: the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.erp.migrate import upgrade
from adapters.erp.store import make_engine

CLI = str(Path(sys.executable).parent / "amazon-payments")
XML_SAMPLE = Path("elcuk3_xml") / "payment.xml"
CSV_SAMPLES = (
    Path("smashpig_amazonpay") / "2015-10-01-SETTLEMENT_DATA_371273040777777.csv",
    Path("smashpig_amazonpay") / "2018-09-18-SETTLEMENT_DATA_11308757837017792.csv",
)


def runner(url: str):
    env = {**os.environ, "AMAZON_PAYMENTS_DATABASE_URL": url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=300)

    return run


@pytest.fixture
def cli(database_url):
    """The command line on this test's store (SQLite, and PostgreSQL when configured)."""
    return runner(database_url)


@pytest.fixture
def sqlite_cli(tmp_path):
    """The command line on a fresh SQLite store of its own."""
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    upgrade(engine)
    engine.dispose()
    return runner(f"sqlite:///{tmp_path / 'cli.sqlite3'}")


def last_json(result: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_real_xml_report_imports_end_to_end_and_none_of_its_rows_is_lost(cli, samples):
    result = cli("settlement", "import", str(samples / XML_SAMPLE), "--json")
    assert result.returncode == 0, result.stderr
    outcome = last_json(result)
    assert outcome == {
        "settlement_id": "6166306752",
        "format": "xml",
        "currency": "GBP",
        "total_amount": "2692.77",
        "rows": 833,
        "sum_amount": "2692.77",
        "valid": True,
        "failed_expectations": [],
        "status": "posted",
        "payments_created": 0,  # its orders are not in the store ...
        "unmatched_rows": 833,  # ... so every row waits for review
    }
    again = cli("settlement", "import", str(samples / XML_SAMPLE), "--json")
    assert again.returncode == 0, again.stderr
    assert (last_json(again)["status"], last_json(again)["unmatched_rows"]) == ("already_posted", 0)
    review = cli("settlement", "review", "6166306752", "--limit", "1000", "--json")
    assert len(json.loads(review.stdout)) == 833


@pytest.mark.parametrize("sample", CSV_SAMPLES, ids=["2015-transfer", "2018-reserve"])
def test_an_amazon_pay_csv_sample_imports_and_its_rows_wait_for_review(sqlite_cli, samples, sample):
    result = sqlite_cli("settlement", "import", str(samples / sample), "--json")
    assert result.returncode == 0, result.stderr
    outcome = last_json(result)
    assert outcome["format"] == "amazon-pay-csv" and outcome["valid"] is True
    # The CSV states no total: total_amount is the sum of its amounts.
    assert outcome["total_amount"] == outcome["sum_amount"]
    assert outcome["rows"] == 6  # two lines: amount, percentage fee and fixed fee each
    assert (outcome["status"], outcome["unmatched_rows"]) == ("posted", outcome["rows"])


def test_a_report_breaking_an_expectation_is_rejected_and_posts_once_corrected(
    cli, samples, tmp_path
):
    broken = tmp_path / "payment.xml"
    text = (samples / XML_SAMPLE).read_text(encoding="utf-8")
    broken.write_text(text.replace(">2692.77<", ">2692.78<", 1), encoding="utf-8")
    checked = cli("settlement", "parse", str(broken), "--json")
    assert checked.returncode == 3, checked.stderr
    assert last_json(checked)["valid"] is False
    assert "status" not in last_json(checked)  # parse posts nothing
    rejected = cli("settlement", "import", str(broken), "--json")
    assert rejected.returncode == 3
    assert last_json(rejected)["status"] == "rejected"
    failed = last_json(checked)["failed_expectations"]
    assert "sum_equals_stated_total" in failed
    assert last_json(rejected)["failed_expectations"] == failed
    corrected = cli("settlement", "import", str(samples / XML_SAMPLE), "--json")
    assert corrected.returncode == 0, corrected.stderr
    assert (last_json(corrected)["status"], last_json(corrected)["unmatched_rows"]) == (
        "posted",
        833,
    )


def test_unreadable_input_exits_2_with_one_line(sqlite_cli, samples, tmp_path):
    refund_report = samples / "smashpig_amazonpay" / "2015-10-06-REFUND_DATA_414749300022222.csv"
    for path, expected in (
        (refund_report, "refund transaction report"),
        (tmp_path / "missing.xml", "cannot read"),
    ):
        result = sqlite_cli("settlement", "import", str(path), "--json")
        assert result.returncode == 2
        assert result.stdout == ""
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"{path}: ") and expected in line


UNSAFE_OR_BROKEN = {
    "billion-laughs.xml": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<AmazonEnvelope>&lol2;</AmazonEnvelope>",
        "DOCTYPE",
    ),
    "external-entity.xml": (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<AmazonEnvelope>&x;</AmazonEnvelope>",
        "DOCTYPE",
    ),
    "truncated.xml": ('<?xml version="1.0"?><AmazonEnvelope><Header>', "line"),
    "not-a-report.xml": ('<?xml version="1.0"?><html><body/></html>', "html"),
}


def test_every_unsafe_or_broken_input_exits_2_with_one_line_naming_the_problem(
    sqlite_cli, tmp_path
):
    for name, (content, expected) in UNSAFE_OR_BROKEN.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        result = sqlite_cli("settlement", "parse", str(path), "--json")
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"{path}: ") and expected.lower() in line.lower(), (name, line)

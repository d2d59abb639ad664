"""The intake commands as a user runs them: a real console script in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.intake_orders import GOOD

CLI = str(Path(sys.executable).parent / "amazon-payments")


@pytest.fixture
def cli(database_url):
    env = {**os.environ, "AMAZON_PAYMENTS_DATABASE_URL": database_url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=120)

    return run


def write_lines(path: Path, *orders: dict | str) -> Path:
    lines = [o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in orders]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_db_upgrade_import_and_show_work_together(cli, tmp_path):
    assert cli("db", "upgrade").returncode == 0
    imported = cli("orders", "import", str(write_lines(tmp_path / "o.jsonl", GOOD)))
    assert imported.returncode == 0, imported.stderr
    assert "imported 1 order(s)" in imported.stdout
    shown = cli("orders", "show", "HB100001")
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["gross_total"] == "24.80"
    assert document["payment_status"] == "pending"
    assert document["items"][0]["name"] == "Tasse weiß"


def test_a_bad_file_is_refused_whole_with_line_numbers(cli, tmp_path):
    bad = write_lines(
        tmp_path / "bad.jsonl",
        {**GOOD, "number": "OK1"},
        "{broken",
        {**GOOD, "number": "X3", "currency": "ABC"},
    )
    result = cli("orders", "import", str(bad))
    assert result.returncode != 0
    assert f"{bad}:line 2: malformed JSON" in result.stderr
    assert f"{bad}:line 3: unknown currency 'ABC'" in result.stderr
    assert "nothing imported" in result.stderr
    assert cli("orders", "show", "OK1").returncode != 0


def test_a_file_repeating_a_stored_number_is_refused_whole(cli, tmp_path):
    cli("orders", "import", str(write_lines(tmp_path / "a.jsonl", GOOD)))
    again = write_lines(
        tmp_path / "b.jsonl", {**GOOD, "number": "NEW1", "charge_permission_id": "S01-2"}, GOOD
    )
    result = cli("orders", "import", str(again))
    assert result.returncode != 0
    assert "line 2: number HB100001 is already in the store" in result.stderr
    assert cli("orders", "show", "NEW1").returncode != 0


def test_showing_an_unknown_document_fails_with_one_line(cli):
    result = cli("orders", "show", "NOPE")
    assert result.returncode == 1
    assert result.stderr.strip() == "no document NOPE"

"""Hostile settlement input through the real command line: one line on stderr, nothing stored.

Every refusal here is the CLI's refusal of unreadable or unsafe input (exit 2, the convention of
`cli/settlement.py`), on SQLite and PostgreSQL alike, and leaves the store as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from adapters.erp.schema import PaymentRow, ReviewItemRow, SettlementReportRow
from adapters.erp.store import UnitOfWork
from cli.main import app

CLI = str(Path(sys.executable).parent / "amazon-payments")
UNREADABLE_EXIT = 2
LIMIT = 1024 * 1024  # a small --max-bytes keeps these tests fast and light


@pytest.fixture
def run(database_url: str, monkeypatch: pytest.MonkeyPatch):
    """The settlement commands in this process, on this test's store."""
    monkeypatch.setenv("AMAZON_PAYMENTS_DATABASE_URL", database_url)

    def invoke(*args: str):
        return CliRunner().invoke(app, ["settlement", *args])

    return invoke


def stored(engine: Engine) -> dict[str, int]:
    """How many report, payment and review rows the store holds."""
    with UnitOfWork(engine) as uow:
        return {
            row.__tablename__: uow.session.scalar(select(func.count()).select_from(row)) or 0
            for row in (SettlementReportRow, PaymentRow, ReviewItemRow)
        }


NOTHING = {"settlement_reports": 0, "payments": 0, "settlement_review": 0}


def refusal_line(result, exit_code: int = UNREADABLE_EXIT) -> str:
    """The one stderr line of a refused command (and nothing on stdout)."""
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    return line


@pytest.mark.parametrize("command", ["parse", "import"])
def test_dev_zero_is_read_no_further_than_the_limit(run, engine, command):
    result = run(command, "/dev/zero", "--max-bytes", str(LIMIT))
    line = refusal_line(result)
    assert line == f"/dev/zero: zero is larger than the limit of {LIMIT} bytes"
    assert stored(engine) == NOTHING


def test_a_regular_file_over_the_limit_is_refused_before_it_is_read(run, engine, tmp_path):
    report = tmp_path / "big.xml"
    report.write_bytes(b"<" + b" " * LIMIT)
    line = refusal_line(run("import", str(report), "--max-bytes", str(LIMIT)))
    assert line == f"{report}: big.xml has {LIMIT + 1} bytes, more than the limit of {LIMIT}"
    assert stored(engine) == NOTHING


def test_an_endless_pipe_on_stdin_is_cut_off_at_the_limit(database_url, engine):
    env = {**os.environ, "AMAZON_PAYMENTS_DATABASE_URL": database_url}
    command = [CLI, "settlement", "import", "/dev/stdin", "--max-bytes", str(LIMIT)]
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    written = [0]

    def feed() -> None:  # writes until the reader goes away: 64 times the limit at most
        assert process.stdin is not None
        try:
            while written[0] < 64 * LIMIT:
                process.stdin.write(b"\0" * 65536)
                written[0] += 65536
            process.stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        process.wait(timeout=300)  # its output is one line: the pipes cannot fill up
    finally:
        process.kill()
    feeder.join(timeout=10)
    assert process.stdout is not None and process.stderr is not None
    stdout, stderr = process.stdout.read(), process.stderr.read()
    assert process.returncode == UNREADABLE_EXIT, stderr
    assert stdout == b""
    (line,) = stderr.decode().strip().splitlines()
    assert line == f"/dev/stdin: stdin is larger than the limit of {LIMIT} bytes"
    assert written[0] < 64 * LIMIT  # the command stopped reading; the pipe broke
    assert stored(engine) == NOTHING

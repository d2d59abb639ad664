"""Commands are imported by name when run: `--help` and the light commands skip heavy imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.lazy import load
from cli.main import COMMANDS, app

HEAVY = ("prefect", "pandas", "great_expectations", "sqlalchemy", "sandbox", "alembic")
ROOT = Path(__file__).resolve().parents[2]


def imported_after(args: list[str], env: dict[str, str] | None = None) -> set[str]:
    """Run the CLI in a fresh interpreter and return which HEAVY packages it imported."""
    code = (
        "import sys\nfrom cli.main import app\ntry:\n    app(sys.argv[1:])\n"
        "except SystemExit as end:\n    assert not end.code, end.code\n"
        f"print('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    last = done.stdout.splitlines()[-1]
    assert last.startswith("LOADED:")
    return set(filter(None, last.removeprefix("LOADED:").split(",")))


def test_help_imports_no_command_module():
    assert imported_after(["--help"]) == set()


def test_db_upgrade_imports_neither_prefect_pandas_nor_great_expectations(tmp_path):
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    loaded = imported_after(["db", "upgrade"], {"AMAZON_PAYMENTS_DATABASE_URL": url})
    assert loaded.isdisjoint({"prefect", "pandas", "great_expectations", "sandbox"})
    assert "alembic" in loaded  # it did run


def test_root_help_lists_every_registered_command_with_its_help():
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    for name, entry in COMMANDS.items():
        assert name in shown
        assert entry.help in " ".join(shown.split())


@pytest.mark.parametrize("name", list(COMMANDS))
def test_registered_help_is_the_commands_own(name):
    command = load(COMMANDS[name].target)
    assert " ".join((command.help or "").split()).startswith(COMMANDS[name].help)


def test_a_subcommand_runs_through_the_lazy_group():
    result = CliRunner().invoke(app, ["db", "--help"])
    assert result.exit_code == 0
    assert "upgrade" in result.output


def test_an_unknown_command_is_refused():
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2

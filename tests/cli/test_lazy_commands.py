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

HEAVY = (
    "prefect",
    "pandas",
    "great_expectations",
    "sqlalchemy",
    "sandbox",
    "alembic",
    "httpx",
    "rich",
    "pydantic",
    "pydantic_settings",
)
NEVER_FOR_THE_STORE = {"prefect", "pandas", "great_expectations", "sandbox", "httpx", "rich"}
ROOT = Path(__file__).resolve().parents[2]


def imported_after(
    args: list[str], env: dict[str, str] | None = None, exit_code: int = 0
) -> set[str]:
    """Run the CLI in a fresh interpreter and return which HEAVY packages it imported."""
    code = (
        "import sys\nfrom cli.main import app\ntry:\n    app(sys.argv[1:])\n"
        f"except SystemExit as end:\n    assert (end.code or 0) == {exit_code}, end.code\n"
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


def test_help_imports_no_command_module_and_neither_rich_nor_pydantic():
    assert imported_after(["--help"]) == set()


def test_a_group_help_imports_its_own_module_not_what_its_commands_use():
    loaded = imported_after(["db", "--help"])  # Typer's own Rich and pydantic may show it
    assert loaded.isdisjoint(NEVER_FOR_THE_STORE - {"rich"} | {"alembic", "sqlalchemy"})


def test_db_upgrade_loads_alembic_and_the_store_only(tmp_path):
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    loaded = imported_after(["db", "upgrade"], {"AMAZON_PAYMENTS_DATABASE_URL": url})
    assert loaded.isdisjoint(NEVER_FOR_THE_STORE | {"pydantic_settings"})
    assert {"alembic", "sqlalchemy"} <= loaded  # it did run


def test_orders_show_loads_the_store_but_no_client_settings_model_or_alembic(tmp_path):
    env = {"AMAZON_PAYMENTS_DATABASE_URL": f"sqlite:///{tmp_path / 'erp.db'}"}
    imported_after(["db", "upgrade"], env)
    loaded = imported_after(["orders", "show", "X1"], env, exit_code=1)  # no document X1
    assert loaded.isdisjoint(NEVER_FOR_THE_STORE | {"pydantic_settings", "alembic"})
    assert "sqlalchemy" in loaded  # it did look


def test_without_the_url_in_the_environment_the_settings_decide(tmp_path, monkeypatch):
    from cli.context import database_url

    monkeypatch.delenv("AMAZON_PAYMENTS_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("AMAZON_PAYMENTS_DATABASE_URL=sqlite:///from-dotenv.db\n")
    assert database_url() == "sqlite:///from-dotenv.db"
    monkeypatch.setenv("AMAZON_PAYMENTS_DATABASE_URL", "sqlite:///from-environment.db")
    assert database_url() == "sqlite:///from-environment.db"  # the environment wins, as before


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

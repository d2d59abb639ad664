"""`amazon-payments db`: the ERP store's schema."""

from __future__ import annotations

import typer

from cli.context import engine

app = typer.Typer(help="The ERP store's database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate the database to the newest schema."""
    from adapters.erp.migrate import upgrade  # Alembic: loaded for this command alone

    upgrade(engine())
    typer.echo("database is at the newest schema")


@app.callback()
def main() -> None:
    """The ERP store's database."""

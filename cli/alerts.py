"""`amazon-payments alerts`: the module's Prefect Automations (deployments/alerts.py)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

app = typer.Typer(help="Alerts: the module's Prefect Automations.", no_args_is_help=True)
WEBHOOK_VARIABLE = "AMAZON_PAYMENTS_ALERT_WEBHOOK_URL"


@app.callback()
def main() -> None:
    """Alerts: the module's Prefect Automations."""


@app.command()
def apply(
    webhook_url: Annotated[
        str | None,
        typer.Option(help=f"Webhook the alerts POST to (default: {WEBHOOK_VARIABLE})."),
    ] = None,
) -> None:
    """Create or update the automations on the Prefect server of PREFECT_API_URL (idempotent)."""
    from deployments import alerts  # imports Prefect: only when the command runs

    try:
        applied = alerts.apply(webhook_url)
    except ValueError as problem:
        print(str(problem), file=sys.stderr)
        raise typer.Exit(2) from None
    for name, what in applied:
        typer.echo(f"{what}: {name}")
    if not (webhook_url or os.environ.get(WEBHOOK_VARIABLE)):
        typer.echo(f"no {WEBHOOK_VARIABLE}: the automations exist but notify nobody")

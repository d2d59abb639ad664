"""`amazon-payments limits`: Amazon's quotas as Prefect global concurrency limits."""

from __future__ import annotations

import sys
from typing import Annotated, Literal, cast

import typer

app = typer.Typer(help="Limits: Amazon's quotas shared by all workers.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Limits: Amazon's quotas shared by all workers."""


@app.command()
def apply(
    quotas: Annotated[
        str | None,
        typer.Option(help="live or sandbox (default: AMAZON_PAY_QUOTAS, else the key's)."),
    ] = None,
) -> None:
    """Create or update one limit per Amazon operation on the server of PREFECT_API_URL."""
    from adapters.settings import AmazonPaySettings
    from deployments import limits  # imports Prefect: only when the command runs

    if quotas not in (None, "live", "sandbox"):
        print(f"--quotas must be live or sandbox, got {quotas!r}", file=sys.stderr)
        raise typer.Exit(2)
    if quotas is None:
        chosen = limits.quota_set_of(AmazonPaySettings())
    else:
        chosen = cast(Literal["live", "sandbox"], quotas)
    for spec, what in limits.apply(chosen):
        typer.echo(
            f"{what}: {spec.name} (limit {spec.limit}, "
            f"{spec.slot_decay_per_second:g} slots/s) for {spec.operation}"
        )

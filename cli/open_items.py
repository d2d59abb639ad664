"""`amazon-payments open-items`: the documents that need a person, as the sweep publishes them."""

from __future__ import annotations

import json

import typer

from services.open_items import list_open_items
from services.resources import Resources

COLUMNS = ("number", "status", "amount", "since", "age", "reason")


def open_items(
    as_json: bool = typer.Option(False, "--json", help="One JSON object a line."),
) -> None:
    """List the open items: overdue authorizations, captures not done or declined, refused
    credit notes, authorizations that expire within 2 days."""
    res = Resources.from_environment()
    try:
        items = list_open_items(res)
    finally:
        res.close()
    rows = [item.row() for item in items]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    if not rows:
        typer.echo("no open items")
        return
    widths = {c: max(len(c), *(len(row[c]) for row in rows)) for c in COLUMNS[:-1]}
    typer.echo("  ".join(c.ljust(widths[c]) for c in COLUMNS[:-1]) + "  reason")
    for row in rows:
        typer.echo("  ".join(row[c].ljust(widths[c]) for c in COLUMNS[:-1]) + "  " + row["reason"])

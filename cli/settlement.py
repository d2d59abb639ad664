"""`amazon-payments settlement`: check or import one settlement file (XML or Amazon Pay CSV).

With `--json` the last line of output is one JSON object. `total_amount` is the report's stated
total; the Amazon Pay CSV states none, so there it is the sum of all amounts (= `sum_amount`).
Exit status: 0 valid / posted / already posted, 3 rejected by the expectations, 2 unreadable or
unsafe input (one line on stderr).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from adapters.reports import importer
from adapters.reports.inbox import read_report_file
from cli.context import fail
from domain.money import Money
from domain.settlement.model import ReportError
from domain.settlement.states import PostOutcome, SourceKind
from services import settlements
from services.resources import Resources

app = typer.Typer(help="Amazon settlement reports: check, import, review.", no_args_is_help=True)
REJECTED_EXIT = 3
UNREADABLE_EXIT = 2
JSON_OPTION = typer.Option(False, "--json", help="End with one JSON object.")
MAX_BYTES_OPTION = typer.Option(
    importer.MAX_REPORT_BYTES,
    "--max-bytes",
    min=1,
    help="Refuse a report larger than this; a pipe or device is read no further than this.",
)


def _read(file: Path, max_bytes: int) -> bytes:
    try:
        return read_report_file(file, max_bytes)
    except OSError as problem:
        fail(f"{file}: cannot read: {problem.strerror or problem}", UNREADABLE_EXIT)
    except ReportError as problem:
        fail(f"{file}: {problem}", UNREADABLE_EXIT)


def _show(file: Path, imported: settlements.Imported, as_json: bool) -> None:
    if imported.check is None:
        fail(f"{file}: {imported.summary['reason']}", UNREADABLE_EXIT)
    summary = imported.summary
    typer.echo(
        f"settlement {summary['settlement_id']} ({summary['format']}): {summary['rows']} rows, "
        f"sum {summary['sum_amount']} {summary['currency']}, total {summary['total_amount']}"
    )
    typer.echo(imported.check.message())
    if "status" in summary:
        typer.echo(
            f"{summary['status']}: {summary['payments_created']} payment(s) created, "
            f"{summary['unmatched_rows']} row(s) to review"
        )
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))


@app.command("parse")
def parse_command(
    file: Path, as_json: bool = JSON_OPTION, max_bytes: int = MAX_BYTES_OPTION
) -> None:
    """Parse and check a settlement file as it is read; nothing is posted."""
    try:
        imported = settlements.check_file(file, max_bytes)
    except OSError as problem:
        fail(f"{file}: cannot read: {problem.strerror or problem}", UNREADABLE_EXIT)
    _show(file, imported, as_json)
    if imported.check is not None and not imported.check.valid:
        raise typer.Exit(REJECTED_EXIT)


IMPORT_MAX_BYTES_OPTION = typer.Option(
    None,
    "--max-bytes",
    min=1,
    help="Refuse a report larger than this (default: AMAZON_PAYMENTS_MAX_REPORT_BYTES_FILE, "
    "for a pipe or device …_STREAM); a pipe or device is read no further than this.",
)


@app.command("import")
def import_command(
    file: Path, as_json: bool = JSON_OPTION, max_bytes: int | None = IMPORT_MAX_BYTES_OPTION
) -> None:
    """Parse, check and post a settlement file, read in pieces: at most once per settlement id."""
    res = Resources.from_environment()  # the client is never built: posting needs no Amazon
    try:
        source = SourceKind.FILE.source(file.name)
        imported = settlements.import_report(res, file, source, max_bytes=max_bytes)
    finally:
        res.close()
    _show(file, imported, as_json)
    if imported.status is PostOutcome.REJECTED:
        raise typer.Exit(REJECTED_EXIT)


@app.command("review")
def review_command(settlement_id: str, limit: int = 50, as_json: bool = JSON_OPTION) -> None:
    """List the rows of a posted report that went to review, with their reasons."""
    res = Resources.from_environment()
    try:
        items = settlements.review(res, settlement_id, limit=limit)
    finally:
        res.close()
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False))
        return
    for item in items:
        amount = Money.from_minor(item["amount_minor"], item["currency"])
        typer.echo(f"line {item['source_line']}: {amount}: {item['reason']}")

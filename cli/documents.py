"""`amazon-payments documents`: the ERP's actions on one document, in this process.

The bodies are the API's (`PATCH /documents/{n}`, `.../returns`, `.../cancellation`), given as
a JSON argument or with `--file` (`-` for stdin). Each action only records the request; the
flows or `amazon-payments sync` do the work with Amazon. Exit status: 0 done, 1 refused (the
error envelope on stderr), 2 a field at fault.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from cli.context import fail

app = typer.Typer(help="The ERP's actions on documents.", no_args_is_help=True)

BODY = typer.Argument(None, help="the JSON body (or use --file)")
FILE = typer.Option(None, "--file", "-f", help="read the JSON body from this file (- for stdin)")


def _body(text: str | None, file: Path | None) -> object:
    from domain.intake import IntakeError, load_json

    if file is not None:
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as problem:
            fail(f"cannot read {file}: {problem}", 2)
    if not text or not text.strip():
        return {}
    try:
        return load_json(text)
    except IntakeError as problem:
        fail(f"the body: {problem}", 2)


def _run(action: str, number: str, body: object = None) -> None:
    from services import credit_notes, documents
    from services.document_errors import DocumentError
    from services.resources import Resources

    try:
        res = Resources.from_environment()
    except ValueError as problem:
        fail(str(problem))
    try:
        if action == "show":
            found: dict[str, Any] = documents.view(res, number)
        elif action == "change":
            found = documents.change(res, number, body).document
        elif action == "ship":
            found = documents.ship(res, number).document
        elif action == "return":
            found = credit_notes.create_return(res, number, body).document
        else:
            found = documents.request_cancellation(res, number, body).document
    except DocumentError as problem:
        print(json.dumps(problem.as_json(), ensure_ascii=False), file=sys.stderr)
        raise typer.Exit(2 if problem.code == "invalid_field" else 1) from None
    finally:
        res.close()
    typer.echo(json.dumps(found, indent=2, ensure_ascii=False))


@app.command("show")
def show(number: str) -> None:
    """The document with its type, payment method, history and Amazon objects."""
    _run("show", number)


@app.command("change")
def change(number: str, body: str | None = BODY, file: Path | None = FILE) -> None:
    """Replace items and/or shipping before shipment: {"items": [...], "shipping": "4.90"}."""
    _run("change", number, _body(body, file))


@app.command("ship")
def ship(number: str) -> None:
    """Report the shipment: activation is requested, the type becomes the shipped type."""
    _run("ship", number)


@app.command("return")
def return_(number: str, body: str | None = BODY, file: Path | None = FILE) -> None:
    """A credit note for returned lines: {"number"?, "items": [{"sku", "quantity"}], "shipping"}."""
    _run("return", number, _body(body, file))


@app.command("cancel")
def cancel(number: str, body: str | None = BODY, file: Path | None = FILE) -> None:
    """Request the cancellation of the whole order ({}); {"items": [...]} is refused."""
    _run("cancel", number, _body(body, file))

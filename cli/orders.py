"""`amazon-payments orders`: the webshop intake and a look at one document."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from adapters.erp.store import UnitOfWork
from cli.context import engine, fail
from domain.documents import Document
from domain.intake import LineError, read_orders

app = typer.Typer(help="Orders from the webshop.", no_args_is_help=True)


@app.command("import")
def import_orders(file: Path) -> None:
    """Import a JSON-lines file of orders, all or nothing."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        fail(f"cannot read {file}: {problem}", 2)
    documents, errors = read_orders(text)
    with UnitOfWork(engine()) as uow:
        if documents:
            taken = uow.documents.existing_numbers([d.number for d in documents])
            errors = [
                LineError(line, f"number {d.number} is already in the store")
                for line, d in _with_lines(text, documents)
                if d.number in taken
            ]
        if errors:
            for error in errors:
                typer.echo(f"{file}:{error}", err=True)
            fail(f"{file}: refused, nothing imported ({len(errors)} bad line(s))")
        for document in documents:
            uow.documents.add(document)
        uow.commit()
    typer.echo(f"imported {len(documents)} order(s) from {file}")


def _with_lines(text: str, documents: list[Document]) -> list[tuple[int, Document]]:
    """Pair each document with the line it came from (blank lines are skipped on reading)."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    return list(zip(lines, documents, strict=True))


@app.command("show")
def show(number: str) -> None:
    """Print one document as JSON, with its gross total and payment status."""
    with UnitOfWork(engine()) as uow:
        document = uow.documents.get(number)
    if document is None:
        fail(f"no document {number}")
    typer.echo(json.dumps(document_json(document), indent=2, ensure_ascii=False))


def document_json(document: Document) -> dict[str, object]:
    """The document as plain JSON: amounts as decimal strings, never floats."""
    return {
        "number": document.number,
        "type": document.doc_type.value,
        "currency": document.currency,
        "charge_permission_id": document.charge_permission_id,
        "charge_id": document.charge_id,
        "items": [
            {
                "sku": item.sku,
                "name": item.name,
                "quantity": item.quantity,
                "unit_price": str(item.unit_price.amount),
            }
            for item in document.all_items()
        ],
        "shipping": str(document.shipping.amount),
        "customer": {"name": document.customer.name, "email": document.customer.email},
        "gross_total": str(document.gross_total.amount),
        "payment_status": document.payment.status.value,
        "captured": str(document.payment.captured.amount),
        "refunded": str(document.payment.refunded.amount),
        "dunning_lock": document.dunning_lock,
    }

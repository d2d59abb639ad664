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


def _step(action: str, number: str, items: list[str] | None = None) -> None:
    """Run one order process step for one document, in this process, and print the status."""
    from adapters.amazon_pay import AmazonPayError
    from tasks import order_actions
    from tasks.order_steps import StepRefused, order_steps

    try:
        steps = order_steps()
        if action == "authorize":
            status = steps.authorize(number)
        elif action == "activate":
            status = order_actions.activate(steps, number)
        elif action == "refund":
            status = order_actions.refund(steps, number)
        else:
            status = order_actions.cancel(steps, number, items)
    except (StepRefused, AmazonPayError, ValueError) as problem:
        fail(str(problem))
    typer.echo(f"{number}: {status.value}")


@app.command("authorize")
def authorize(number: str) -> None:
    """Create the order's charge at Amazon (idempotent) and apply the first answer."""
    _step("authorize", number)


@app.command("activate")
def activate(number: str) -> None:
    """Shipment confirmation: capture the document's current gross total."""
    _step("activate", number)


@app.command("refund")
def refund(credit_note: str) -> None:
    """Refund a credit note against its order's capture."""
    _step("refund", credit_note)


@app.command("cancel")
def cancel(
    number: str, item: list[str] = typer.Option(None, help="cancel only these SKUs")
) -> None:
    """Cancel a whole order that is not activated (single items are refused)."""
    _step("cancel", number, item or None)

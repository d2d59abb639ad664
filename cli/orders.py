"""`amazon-payments orders`: the webshop intake and a look at one document.

Each command imports what it needs when it runs: `orders show` loads the store and no Amazon
client, no settings model and no intake rules (see "CLI start-up" in the README).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.context import engine, fail
from cli.order_file import DEFAULT_MAX_BYTES, FileTooLarge, bounded_lines

if TYPE_CHECKING:
    from adapters.erp.store import UnitOfWork
    from adapters.settings import ModuleSettings
    from domain.intake import LineError, OrderLine

app = typer.Typer(help="Orders from the webshop.", no_args_is_help=True)


MAX_BYTES = typer.Option(
    DEFAULT_MAX_BYTES, "--max-bytes", min=1, help="Refuse a file with more bytes than this."
)


@app.command("import")
def import_orders(file: Path, max_bytes: int = MAX_BYTES) -> None:
    """Import a JSON-lines file of orders, all or nothing."""
    from adapters.erp.store import UnitOfWork
    from adapters.settings import ModuleSettings
    from domain.intake import read_order_lines
    from services.resources import document_types

    try:
        orders, errors = read_order_lines(bounded_lines(file, max_bytes))
    except FileTooLarge as problem:
        fail(f"{file}: {problem} (--max-bytes), nothing imported", 2)
    except OSError as problem:
        fail(f"cannot read {file}: {problem}", 2)
    settings = ModuleSettings()
    if orders and not errors:
        errors = _with_fee_article(orders, settings)
    with UnitOfWork(engine(), document_types(settings).after) as uow:
        if orders and not errors:
            errors = _already_stored(uow, orders)
        if errors:
            for error in errors:
                typer.echo(f"{file}:{error}", err=True)
            fail(f"{file}: refused, nothing imported ({len(errors)} bad line(s))")
        for order in orders:
            uow.documents.add(order.document)
        uow.commit()
    typer.echo(f"imported {len(orders)} order(s) from {file}")


def _with_fee_article(orders: list[OrderLine], settings: ModuleSettings) -> list[LineError]:
    """Add the payment method's fee article to every order; a currency without its price is
    a line error."""
    from domain.intake import LineError
    from services.document_errors import DocumentError
    from services.documents import fee_article

    errors = []
    for order in orders:
        try:
            order.document.fee_article = fee_article(settings, order.document.currency)
        except DocumentError as problem:
            errors.append(LineError(order.line, problem.message))
    return errors


def _already_stored(uow: UnitOfWork, orders: list[OrderLine]) -> list[LineError]:
    """A line error for each order whose number or Amazon id the store already holds."""
    from domain.intake import already_stored, amazon_ids

    numbers = uow.documents.existing_numbers([order.document.number for order in orders])
    ids = [value for order in orders for _, value in amazon_ids(order.document)]
    return already_stored(orders, numbers, uow.documents.existing_amazon_ids(ids))


@app.command("show")
def show(number: str) -> None:
    """Print one document as JSON, with its gross total and payment status."""
    from adapters.erp.store import UnitOfWork
    from services.document_view import document_json

    with UnitOfWork(engine()) as uow:
        document = uow.documents.get(number)
    if document is None:
        fail(f"no document {number}")
    typer.echo(json.dumps(document_json(document), indent=2, ensure_ascii=False))


def _step(action: str, number: str, items: list[str] | None = None) -> None:
    """Run one order process for one document, in this process, and print the status."""
    from adapters.amazon_pay import AmazonPayError
    from services import activation, authorization, cancellation, refunds
    from services.resources import Resources

    try:
        res = Resources.from_environment()
    except ValueError as problem:
        fail(str(problem))
    try:
        if action == "authorize":
            outcome = authorization.authorize_by_hand(res, number)
        elif action == "activate":
            outcome = activation.activate(res, number)
        elif action == "refund":
            outcome = refunds.refund(res, number)
        else:
            outcome = cancellation.cancel(res, number, items)
    except (AmazonPayError, ValueError) as problem:
        fail(str(problem))
    finally:
        res.close()
    if outcome.refused:
        fail(outcome.problem)
    typer.echo(f"{number}: {outcome.describe()}")


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

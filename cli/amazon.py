"""`amazon` commands: read one Amazon Pay object and print it as JSON.

Configured from `AMAZON_PAY_*` (AmazonPaySettings). Errors are one line on stderr with exit code
1 (Amazon or the network failed) or 2 (configuration or argument). Tests and embedding code may
put a client factory into the Click context object under `CLIENT_FACTORY_KEY`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import typer
from pydantic import BaseModel, ValidationError

from adapters.amazon_pay.client import AmazonPayClient
from adapters.amazon_pay.errors import AmazonPayError, ConfigurationError
from adapters.settings import AmazonPaySettings

CLIENT_FACTORY_KEY = "amazon_pay_client_factory"
ClientFactory = Callable[[AmazonPaySettings], AmazonPayClient]

app = typer.Typer(
    help="Read Amazon Pay objects (charges, refunds, charge permissions) and print them as JSON.",
    no_args_is_help=True,
)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(code)


def _settings_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    return f"invalid AMAZON_PAY_{field.upper()}: {first['msg']}"


def _client(ctx: typer.Context) -> AmazonPayClient:
    found = ctx.find_object(dict)
    factory: ClientFactory = (found or {}).get(CLIENT_FACTORY_KEY, AmazonPayClient.from_settings)
    return factory(AmazonPaySettings())


def _show(ctx: typer.Context, fetch: Callable[[AmazonPayClient], BaseModel]) -> None:
    """Build the client, fetch one object and print it; map every failure to one line."""
    try:
        with _client(ctx) as client:
            found = fetch(client)
    except ValidationError as exc:  # settings from the environment
        _fail(_settings_problem(exc), 2)
    except (ConfigurationError, ValueError) as exc:
        _fail(str(exc), 2)
    except AmazonPayError as exc:
        _fail(str(exc), 1)
    typer.echo(found.model_dump_json(by_alias=True, indent=2))


@app.command("get-charge")
def get_charge(ctx: typer.Context, charge_id: str = typer.Argument(..., help="Charge id.")) -> None:
    """Print a Charge."""
    _show(ctx, lambda client: client.get_charge(charge_id))


@app.command("get-refund")
def get_refund(ctx: typer.Context, refund_id: str = typer.Argument(..., help="Refund id.")) -> None:
    """Print a Refund."""
    _show(ctx, lambda client: client.get_refund(refund_id))


@app.command("get-charge-permission")
def get_charge_permission(
    ctx: typer.Context,
    charge_permission_id: str = typer.Argument(..., help="Charge Permission id."),
) -> None:
    """Print a Charge Permission."""
    _show(ctx, lambda client: client.get_charge_permission(charge_permission_id))

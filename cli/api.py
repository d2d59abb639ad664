"""`amazon-payments api serve`: the HTTP interface of the ERP and the webshop."""

from __future__ import annotations

import typer

from cli.context import fail

app = typer.Typer(help="The HTTP API of the ERP interface.", no_args_is_help=True)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="address to bind"),
    port: int = typer.Option(8125, help="port to bind"),
    insecure_no_token: bool = typer.Option(
        False, "--insecure-no-token", help="serve without AMAZON_PAYMENTS_API_TOKEN (loopback only)"
    ),
) -> None:
    """Serve the ERP interface; every request needs Authorization: Bearer <token>."""
    from api.serve import NotServed
    from api.serve import serve as run

    try:
        run(host, port, insecure_no_token)
    except NotServed as problem:
        fail(str(problem), 2)

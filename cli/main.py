"""The `amazon-payments` command line: one Typer app, one sub-app per area."""

from __future__ import annotations

import typer

from cli import alerts, amazon, db, demo, ipn, limits, orders, sandbox, settlement

app = typer.Typer(
    help="Amazon Payments module of the webshop ERP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(orders.app, name="orders")
app.add_typer(settlement.app, name="settlement")
app.add_typer(amazon.app, name="amazon")
app.add_typer(ipn.app, name="ipn")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(alerts.app, name="alerts")
app.add_typer(limits.app, name="limits")
app.command("demo")(demo.demo)


@app.command("serve")
def serve() -> None:
    """Serve every deployment of the module from this process, without a worker."""
    from deployments.serve import main

    main()

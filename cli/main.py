"""The `amazon-payments` command line: one Typer app, one sub-app per area, loaded by name.

A command's module is imported only when that command runs, so `--help` and the light commands
start without Prefect, pandas or Great Expectations. To add a command, add one line to COMMANDS:
its name, "module:attribute" of its Typer app (or command function) and its one-line help.
"""

from __future__ import annotations

from cli.lazy import Lazy, lazy_app

COMMANDS: dict[str, Lazy] = {
    "demo": Lazy(
        "cli.demo:demo", "Run the whole lifecycle against the local sandbox and print a summary."
    ),
    "serve": Lazy(
        "cli.serve:serve",
        "Serve every deployment of the module from this process, without a worker.",
    ),
    "db": Lazy("cli.db:app", "The ERP store's database."),
    "orders": Lazy("cli.orders:app", "Orders from the webshop."),
    "settlement": Lazy("cli.settlement:app", "Amazon settlement reports: check, import, review."),
    "amazon": Lazy(
        "cli.amazon:app",
        "Read Amazon Pay objects (charges, refunds, charge permissions) and print them as JSON.",
    ),
    "ipn": Lazy("cli.ipn:app", "Amazon's instant payment notifications (IPN)."),
    "sandbox": Lazy("cli.sandbox:app", "The local Amazon Pay v2 sandbox server."),
    "alerts": Lazy("cli.alerts:app", "Alerts: the module's Prefect Automations."),
}

app = lazy_app(
    COMMANDS,
    help="Amazon Payments module of the webshop ERP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

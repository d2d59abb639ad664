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
    "limits": Lazy("cli.limits:app", "Limits: Amazon's quotas shared by all workers."),
    "open-items": Lazy(
        "cli.open_items:open_items",
        "List the open items: overdue authorizations, captures not done or declined, refused "
        "credit notes, authorizations that expire within 2 days.",
    ),
    "api": Lazy("cli.api:app", "The HTTP API of the ERP interface."),
    "documents": Lazy("cli.documents:app", "The ERP's actions on documents."),
    "sync": Lazy(
        "cli.sync:sync",
        "Run one sweep: exit 0 when it ran (problems are open items), 1 when it failed.",
    ),
}

app = lazy_app(
    COMMANDS,
    help="Amazon Payments module of the webshop ERP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # the root's help in plain text: Rich alone would double its start-up
)

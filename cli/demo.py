"""`amazon-payments demo`: the whole order lifecycle against a local sandbox, in minutes.

It starts the sandbox on loopback (admin on; the client paces at live quotas), a fresh SQLite
store, the ERP interface (the HTTP API) on loopback, and drives N orders with a mix of outcomes:
the ERP's side (intake, shipments, returns, cancellations) through the API, Amazon's side
through the flows. Instead of waiting days for
Amazon's rules it advances the sandbox clock: 8 days for an asynchronous capture, 31 days for
an expired authorization. The summary compares the store with the sandbox's ledger.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import typer

from adapters.settings import ModuleSettings
from cli.demo_report import readable, settlement_view, store_view, summary

ROLES = (
    "plain", "partial_refund", "full_refund", "declined", "slow", "late_capture", "expired",
    "cancel", "item_cancel",
)  # fmt: skip
# Amazon's sandbox test cards: 0701 authorizes after a delay, 4354 declines after a delay.
CARDS = {"declined": "Visa ****4354", "slow": "Visa ****0701"}
KEY_ID = "SANDBOX-DEMOKEY000000000000001"
STARTUP_TIMEOUT_SETTING = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
STARTUP_TIMEOUT_SECONDS = "120"


def demo(
    orders: int = typer.Option(40, help="how many orders to push through"),
    seed: int = typer.Option(7, help="seed of the order mix"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Run the whole lifecycle against the local sandbox and print a summary."""
    if orders < len(ROLES):
        raise typer.BadParameter(f"at least {len(ROLES)} orders, one per outcome")
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="amazon-demo-")))
        base_url = _start_sandbox(stack)
        _configure(base_url, folder)
        _start_receiver(stack, base_url)
        from cli.demo_run import run_scenario

        engine, ledger, types = run_scenario(base_url, _roles(orders, seed), log=not as_json)
        settled = settlement_view(engine, _reports())
        result = summary(store_view(engine), ledger, settled, ModuleSettings().account_amazon_fees)
        result["document_types"] = types
        engine.dispose()
    typer.echo(json.dumps(result) if as_json else readable(result))


def _reports() -> list[bytes]:
    """Every settlement report the sandbox lists, downloaded through the module's client."""
    from services.resources import Resources

    res = Resources.from_environment()
    try:
        return [
            res.amazon.download_report_document(report.report_document_id)
            for report in res.amazon.iter_reports()
            if report.report_document_id
        ]
    finally:
        res.close()


def _roles(orders: int, seed: int) -> dict[str, str]:
    """Document number -> outcome role: every role at least once, the rest shuffled."""
    roles = list(ROLES) + [ROLES[i % len(ROLES)] for i in range(orders - len(ROLES))]
    random.Random(seed).shuffle(roles)  # noqa: S311 - a demo's mix, not a secret
    return {f"HB{100001 + i}": role for i, role in enumerate(roles)}


def _start_sandbox(stack: ExitStack) -> str:
    from sandbox.config import SandboxConfig
    from sandbox.keys import throwaway_key_pair
    from sandbox.server import run_in_thread

    private, public = throwaway_key_pair()
    # The client paces itself at live quotas; the sandbox does not throttle, so a slow or busy
    # machine cannot turn the lifecycle demo into a 429 demo.
    config = SandboxConfig(admin=True, public_keys={KEY_ID: public}, quotas="off")
    base_url = stack.enter_context(run_in_thread(config))
    # The demo's own throwaway key: it lives in this process's environment only.
    os.environ["AMAZON_PAY_PRIVATE_KEY"] = private.decode()
    return base_url


def _configure(base_url: str, folder: Path) -> None:
    # The flows start Prefect's temporary server; its default start-up wait (20 s) runs out on
    # a busy machine. Set before prefect is imported (settings are read then); a value the
    # user set in the environment wins.
    os.environ.setdefault(STARTUP_TIMEOUT_SETTING, STARTUP_TIMEOUT_SECONDS)
    os.environ.update(
        {
            "AMAZON_PAY_PUBLIC_KEY_ID": KEY_ID,
            "AMAZON_PAY_BASE_URL": base_url,
            "AMAZON_PAY_QUOTAS": "live",
            "AMAZON_PAYMENTS_DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}",
            "AMAZON_PAYMENTS_AUTHORIZATION_TIMEOUT_SECONDS": "2",
            "AMAZON_PAYMENTS_INBOX_DIR": str(folder / "inbox"),
            "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        }
    )


def _start_receiver(stack: ExitStack, base_url: str) -> None:
    """The notification receiver on loopback, trusting the sandbox's certificate; the sandbox
    then sends its IPNs there and every state change is reconciled at once."""
    from adapters.erp.migrate import upgrade
    from adapters.ipn.receiver import ReceiverOptions, create_app
    from cli.context import engine
    from cli.ipn import reconcile_step
    from sandbox.notifications import CERT_PATH
    from sandbox.server import bind_socket, run_app_in_thread

    store = engine()
    upgrade(store)
    options = ReceiverOptions(trusted_cert_urls=(base_url + CERT_PATH,))
    url = stack.enter_context(
        run_app_in_thread(create_app(store, reconcile_step(), options), bind_socket())
    )
    admin(base_url, "PUT", "/notifications", {"url": f"{url}/ipn"})


def admin(base_url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the sandbox's admin API; a failure stops the demo with the sandbox's message."""
    response = httpx.request(method, f"{base_url}/_admin{path}", json=body, timeout=30)
    if response.status_code >= 300:
        raise RuntimeError(f"sandbox admin {path}: {response.status_code} {response.text}")
    return response.json()

"""`amazon-payments sandbox`: run the local Amazon Pay v2 sandbox server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, get_args

import typer

from sandbox.config import Quotas, SandboxConfig, load_keys_file
from sandbox.persistence import StateFileError
from sandbox.server import serve as serve_sandbox
from sandbox.simulation import TEST_CARDS

app = typer.Typer(help="The local Amazon Pay v2 sandbox server.", no_args_is_help=True)
QUOTA_MODES: dict[str, Quotas] = {mode: mode for mode in get_args(Quotas)}


@app.callback()
def main() -> None:
    """The local Amazon Pay v2 sandbox server."""


def build_config(
    admin: bool,
    quotas: str,
    ipn_url: str | None,
    keys_file: Path | None,
    accept_hosts: list[str] | None = None,
    state_file: Path | None = None,
) -> SandboxConfig:
    """The sandbox configuration of the command-line options."""
    if quotas not in QUOTA_MODES:
        raise ValueError(f"--quotas must be one of {', '.join(QUOTA_MODES)}, got {quotas!r}")
    keys = load_keys_file(keys_file) if keys_file is not None else {}
    return SandboxConfig(
        public_keys=keys,
        admin=admin,
        quotas=QUOTA_MODES[quotas],
        ipn_url=ipn_url,
        accept_hosts=tuple(accept_hosts or ()),
        state_file=state_file,
    )


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    admin: Annotated[bool, typer.Option("--admin/--no-admin", help="Enable /_admin.")] = False,
    quotas: Annotated[
        str, typer.Option(help="Throttling quotas: live, sandbox or off.")
    ] = "sandbox",
    ipn_url: Annotated[str | None, typer.Option(help="Where to POST IPNs.")] = None,
    keys_file: Annotated[
        Path | None, typer.Option(help="JSON file {public key id: PEM public key}.")
    ] = None,
    accept_host: Annotated[
        list[str] | None,
        typer.Option(
            help="Another x-amz-pay-host to accept (repeatable); the region's host and the "
            "host:port the sandbox is reached at are always accepted."
        ),
    ] = None,
    state_file: Annotated[
        Path | None,
        typer.Option(help="SQLite file that keeps the state across restarts (default: memory)."),
    ] = None,
) -> None:
    """Serve the sandbox until interrupted."""
    try:
        config = build_config(admin, quotas, ipn_url, keys_file, accept_host, state_file)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        raise typer.Exit(2) from None
    try:
        serve_sandbox(config, host=host, port=port)
    except StateFileError as problem:
        print(str(problem), file=sys.stderr)
        raise typer.Exit(2) from None


@app.command()
def checkout(
    amount: Annotated[str, typer.Argument(help="Order total, e.g. 24.80")],
    currency: Annotated[str, typer.Option(help="ISO currency")] = "EUR",
    url: Annotated[str, typer.Option(help="The sandbox's base URL")] = "http://127.0.0.1:8123",
    card: Annotated[
        str | None,
        typer.Option(
            help="Test card: "
            + "; ".join(f"'{name}' {what}" for name, what in TEST_CARDS.items())
            + "; any other card authorizes at once."
        ),
    ] = None,
) -> None:
    """Create a checkout result (a Chargeable charge permission) and print its id."""
    import httpx

    body = {"amount": amount, "currencyCode": currency}
    if card:
        body["paymentDescriptor"] = card
    try:
        response = httpx.post(f"{url}/_admin/checkouts", json=body, timeout=10)
    except httpx.TransportError as problem:
        print(f"cannot reach the sandbox at {url}: {problem}", file=sys.stderr)
        raise typer.Exit(1) from None
    if response.status_code != 201:
        print(f"sandbox refused: {response.status_code} {response.text}", file=sys.stderr)
        raise typer.Exit(1)
    typer.echo(response.json()["chargePermissionId"])

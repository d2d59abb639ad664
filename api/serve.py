"""`amazon-payments api serve`: the ERP interface on uvicorn."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

import uvicorn

from api.app import make_app
from api.runs import no_runs, prefect_configured, prefect_runs
from services.resources import Resources

TOKEN_VARIABLE = "AMAZON_PAYMENTS_API_TOKEN"  # noqa: S105 - a name, not a secret


class NotServed(ValueError):
    """The API refuses to start as asked (no token, or no token on a public address)."""


def token_from_environment(insecure_no_token: bool, host: str) -> str | None:
    """The bearer token; None only with `--insecure-no-token` on a loopback address."""
    token = os.environ.get(TOKEN_VARIABLE, "")
    if token:
        return token
    if not insecure_no_token:
        raise NotServed(f"{TOKEN_VARIABLE} is not set (or give --insecure-no-token, loopback only)")
    if not is_loopback(host):
        raise NotServed(f"--insecure-no-token binds loopback only, not {host}")
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str, port: int, insecure_no_token: bool = False) -> None:
    """Serve until interrupted; deployment runs are started when a Prefect API is configured."""
    token = token_from_environment(insecure_no_token, host)
    res = Resources.from_environment()
    starter = prefect_runs if prefect_configured() else no_runs
    try:
        uvicorn.run(make_app(res, token, starter), host=host, port=port, log_level="info")
    finally:
        res.close()


def token_file(path: Path) -> str:
    """The token kept in `path` (`make run`: data/api-token), made once, readable by its owner."""
    if not path.exists() or not path.read_text().strip():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()

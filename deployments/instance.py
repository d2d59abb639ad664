"""Is `make run` already running here? And what does a second shell need to talk to it?

Before starting anything, `make run` looks at its ports. A port that answers like one of its own
services (Prefect's `/api/health`, the sandbox's certificate, the receiver's POST-only `/ipn`)
means an instance is running: it says so, prints how to use it, and exits non-zero instead of
half-starting. A port held by some other program is named with the variable that moves it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Service:
    """One listening service of `make run`: its name, port, the variable that sets the port, and
    how to recognise it on that port."""

    name: str
    port: int
    variable: str
    is_ours: Callable[[str], bool]  # base URL -> does our service answer there?


def _prefect_health(base_url: str) -> bool:
    answer = httpx.get(f"{base_url}/api/health", timeout=3)
    return answer.status_code == 200 and answer.text.strip() == "true"


def _sandbox_certificate(cert_path: str) -> Callable[[str], bool]:
    def check(base_url: str) -> bool:
        answer = httpx.get(f"{base_url}{cert_path}", timeout=3)
        return answer.status_code == 200 and answer.text.startswith("-----BEGIN CERTIFICATE")

    return check


def _ipn_receiver(base_url: str) -> bool:
    answer = httpx.get(f"{base_url}/ipn", timeout=3)
    return answer.status_code == 405 and "POST" in answer.headers.get("allow", "")


def _erp_api(base_url: str) -> bool:
    answer = httpx.get(f"{base_url}/openapi.json", timeout=3)
    return answer.status_code == 200 and "Amazon Payments" in answer.text


def services(
    prefect_port: int,
    sandbox_port: int | None,
    ipn_port: int,
    cert_path: str,
    api_port: int | None = None,
) -> list[Service]:
    """The services `make run` would start (the sandbox only when it runs the local one)."""
    found = [Service("Prefect server", prefect_port, "PREFECT_PORT", _prefect_health)]
    if sandbox_port is not None:
        found.append(
            Service(
                "Amazon Pay sandbox",
                sandbox_port,
                "AMAZON_PAYMENTS_SANDBOX_PORT",
                _sandbox_certificate(cert_path),
            )
        )
    found.append(
        Service("notification receiver", ipn_port, "AMAZON_PAYMENTS_IPN_PORT", _ipn_receiver)
    )
    if api_port is not None:
        found.append(Service("ERP API", api_port, "AMAZON_PAYMENTS_API_PORT", _erp_api))
    return found


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether a TCP port can be bound on the host now by a server, which (like uvicorn) sets
    SO_REUSEADDR: connections of a stopped server waiting out TIME_WAIT do not hold the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def occupants(found: list[Service]) -> dict[Service, str]:
    """What holds the port of each service."""
    return {service: occupant(service) for service in found}


def occupant(service: Service) -> str:
    """`free`, `ours` (our service answers on its port) or `other` (another program holds it)."""
    if port_is_free(service.port):
        return "free"
    try:
        return "ours" if service.is_ours(f"http://{HOST}:{service.port}") else "other"
    except httpx.HTTPError:
        return "other"


def refusal(found: Mapping[Service, str], shell: str) -> str | None:
    """Why `make run` must not start (None: every port is free); `shell` is `second_shell`'s
    text, added when our own instance is the one running."""
    ours = [service for service, state in found.items() if state == "ours"]
    others = [service for service, state in found.items() if state == "other"]
    if ours:
        where = ", ".join(f"{s.name} on {HOST}:{s.port}" for s in ours)
        return (
            f"make run is already running here ({where}); not starting a second one. "
            "Use the running one, or stop it with Ctrl-C in its shell first.\n" + shell
        )
    if others:
        return "; ".join(
            f"port {s.port} ({s.name}) is taken by another program: free it, or set "
            f"{s.variable} to another port"
            for s in others
        )
    return None


def second_shell(env: Mapping[str, str], keys_from_user: bool, key_file: Path | None) -> str:
    """The lines a second shell needs to use this instance (never the private key itself)."""
    lines = [
        "In a second shell (from the project folder, .venv/bin on the PATH):",
        f"  export PREFECT_API_URL={env['PREFECT_API_URL']}",
    ]
    if keys_from_user:
        lines.append(
            "  # Amazon: the AMAZON_PAY_* settings of your environment / .env are used as they are"
        )
    else:
        lines += [
            f"  export AMAZON_PAY_PUBLIC_KEY_ID={env['AMAZON_PAY_PUBLIC_KEY_ID']}",
            f"  export AMAZON_PAY_PRIVATE_KEY={key_file}   # the path of the local sandbox key",
            f"  export AMAZON_PAY_BASE_URL={env['AMAZON_PAY_BASE_URL']}",
        ]
    return "\n".join(lines)

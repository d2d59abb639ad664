"""Running the sandbox: `serve(...)` in the foreground, `run_in_thread(config)` for tests/demos.

    with run_in_thread(SandboxConfig(admin=True, public_keys={...})) as base_url:
        httpx.get(f"{base_url}/_admin/ledger")

`run_in_thread` binds 127.0.0.1 on a free port first, so the app knows its own base URL
(certificate and report-document URLs) before it starts; it yields the base URL and stops the
server on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from sandbox.app import create_app
from sandbox.config import SandboxConfig

START_TIMEOUT_SECONDS = 10.0


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (port 0: a free one), for `run_app_in_thread`."""
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only for TCP
    # sockets it recognises, and without it every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


class _ThreadServer(uvicorn.Server):
    """uvicorn's server, checking for exit every 10 ms instead of 100 ms (fast test teardown)."""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.01)


@contextlib.contextmanager
def run_app_in_thread(app: ASGIApp, sock: socket.socket) -> Iterator[str]:
    """Serve an app on an already bound socket in a background thread; yield its base URL."""
    host, port = sock.getsockname()[:2]
    server = _ThreadServer(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start on {host}:{port}")
            time.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_SECONDS)
        sock.close()


@contextlib.contextmanager
def run_in_thread(
    config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """A sandbox on `host` (a free port by default) in a background thread; yields its base URL."""
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    config = config or SandboxConfig()
    if config.public_base_url is None:
        config = dataclasses.replace(config, public_base_url=f"http://{host}:{bound_port}")
    with run_app_in_thread(create_app(config), sock) as base_url:
        yield base_url


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    if config.public_base_url is None and host not in ("0.0.0.0", "::"):  # noqa: S104
        config = dataclasses.replace(config, public_base_url=f"http://{host}:{port}")
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")

"""`make run` (deployments.run) started twice: the second start says so and leaves the first;
Ctrl-C then stops the first quietly, one service at a time."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deployments.instance import occupants, port_is_free, refusal, services
from sandbox.server import bind_socket

REPO = Path(__file__).resolve().parents[1]
CERT_PATH = "/_sns/SimpleNotificationService-sandbox.pem"


def free_port() -> int:
    probe = bind_socket()
    port = int(probe.getsockname()[1])
    probe.close()
    return port


@pytest.fixture
def run_env(tmp_path: Path) -> dict[str, str]:
    """Environment of a `make run` on free loopback ports, every file in tmp_path."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AMAZON_PAY_", "PREFECT_API_URL"))
    }
    return env | {
        "PREFECT_PORT": str(free_port()),
        "AMAZON_PAYMENTS_SANDBOX_PORT": str(free_port()),
        "AMAZON_PAYMENTS_IPN_PORT": str(free_port()),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "AMAZON_PAYMENTS_DATABASE_URL": f"sqlite:///{tmp_path / 'erp.sqlite3'}",
        "AMAZON_PAYMENTS_SANDBOX_DIR": str(tmp_path / "sandbox"),
        "AMAZON_PAYMENTS_INBOX_DIR": str(tmp_path / "inbox"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }


@pytest.fixture
def first_run(
    run_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A first `make run`, up to its banner; stopped with Ctrl-C (SIGINT) afterwards, if the
    test did not stop it."""
    log = tmp_path / "first.log"
    # Started with SIGINT ignored, as a script's background job is (the harder case: Python
    # then installs no KeyboardInterrupt of its own); Ctrl-C must stop it all the same.
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "deployments.run"],
                cwd=REPO,
                env=run_env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a terminal's foreground job
            )
    finally:
        signal.signal(signal.SIGINT, handler)
    try:
        deadline = time.monotonic() + 240
        while "export PREFECT_API_URL=" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the first make run did not come up:\n{log.read_text()}")
            time.sleep(0.5)
        yield process, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if group := re.search(r"kill -INT -- -(\d+)", log.read_text(errors="replace")):
            with contextlib.suppress(ProcessLookupError):  # the services' own group
                os.killpg(int(group[1]), signal.SIGKILL)


@pytest.mark.slow  # 35-140 s here: a whole make run (Prefect server, serve, alerts) comes up first
def test_a_second_make_run_says_one_is_running_exits_non_zero_and_the_first_keeps_running(
    first_run, run_env
):
    first, log = first_run
    banner = log.read_text()
    prefect_url = f"http://127.0.0.1:{run_env['PREFECT_PORT']}/api"
    assert f"export PREFECT_API_URL={prefect_url}" in banner
    assert "export AMAZON_PAY_PUBLIC_KEY_ID=SANDBOX-" in banner
    assert (
        f"export AMAZON_PAY_BASE_URL=http://127.0.0.1:{run_env['AMAZON_PAYMENTS_SANDBOX_PORT']}"
        in banner
    )
    assert "BEGIN" not in banner  # the key's path, never the key
    automations = httpx.post(f"{prefect_url}/automations/filter", json={}, timeout=10).json()
    assert sum(a["name"].startswith("amazon-payments: ") for a in automations) == 4

    second = subprocess.run(
        [sys.executable, "-m", "deployments.run"],
        cwd=REPO,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 1
    assert "make run is already running here" in second.stderr
    assert f"Prefect server on 127.0.0.1:{run_env['PREFECT_PORT']}" in second.stderr
    sandbox_port, ipn_port = (
        run_env["AMAZON_PAYMENTS_SANDBOX_PORT"],
        run_env["AMAZON_PAYMENTS_IPN_PORT"],
    )
    assert f"Amazon Pay sandbox on 127.0.0.1:{sandbox_port}" in second.stderr
    assert f"notification receiver on 127.0.0.1:{ipn_port}" in second.stderr
    assert f"export PREFECT_API_URL={prefect_url}" in second.stderr
    assert "starting:" not in second.stdout  # nothing was half-started
    assert first.poll() is None
    assert httpx.get(f"{prefect_url}/health", timeout=10).json() is True
    sandbox = f"http://127.0.0.1:{run_env['AMAZON_PAYMENTS_SANDBOX_PORT']}"
    assert httpx.get(f"{sandbox}/_admin/clock", timeout=10).status_code == 200
    assert (Path(run_env["AMAZON_PAYMENTS_SANDBOX_DIR"]) / "state.sqlite3").is_file()

    # Ctrl-C in the terminal: SIGINT to the foreground process group. Each service gets one
    # SIGINT, in reverse start order (the flows before the Prefect server), and says nothing
    # alarming on its way out.
    deadline = time.monotonic() + 180  # `serve` registers its deployments after the banner
    while "Your deployments are being served" not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.5)
    before_stop = len(log.read_text(errors="replace"))
    os.killpg(first.pid, signal.SIGINT)
    assert first.wait(timeout=120) == 0
    stopping = log.read_text(errors="replace")[before_stop:]
    assert "Traceback" not in stopping, stopping
    assert "Error logging" not in stopping, stopping
    assert "All deployments have been paused" in stopping, stopping
    assert stopping.rstrip().endswith("Server stopped!"), stopping  # the Prefect server last
    ports = services(int(run_env["PREFECT_PORT"]), int(sandbox_port), int(ipn_port), CERT_PATH)
    assert set(occupants(ports).values()) == {"free"}


def test_a_port_held_by_another_program_is_named_with_its_variable():
    holder = bind_socket()  # listening, but not one of our services
    port = int(holder.getsockname()[1])
    try:
        found = occupants(services(port, None, free_port(), CERT_PATH))
        message = refusal(found, "shell lines")
    finally:
        holder.close()
    assert message is not None
    assert f"port {port} (Prefect server) is taken by another program" in message
    assert "PREFECT_PORT" in message
    assert "shell lines" not in message


def test_a_port_whose_server_stopped_moments_ago_is_free():
    """A stopped server's closed connections wait out TIME_WAIT on its port; a new server (with
    SO_REUSEADDR, as uvicorn binds) can take the port, so a restarted `make run` must not refuse."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = int(server.getsockname()[1])
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server closes first: its side of the connection enters TIME_WAIT
    client.recv(1)
    client.close()
    assert not port_is_free(port)  # still listening
    server.close()
    assert port_is_free(port)


def test_free_ports_let_make_run_start():
    assert (
        refusal(occupants(services(free_port(), free_port(), free_port(), CERT_PATH)), "") is None
    )

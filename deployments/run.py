"""`make run`: the main job on embedded defaults.

Upgrades the ERP store, then starts and supervises:
- a local Prefect server, UI on http://127.0.0.1:4200;
- the local Amazon Pay sandbox on http://127.0.0.1:8123 (admin API on, for the walkthrough),
  its state kept in data/sandbox/state.sqlite3 so a restart continues where it stopped;
- the notification receiver on http://127.0.0.1:8124/ipn, trusting the sandbox's certificate;
- every deployment of the module, served from one process (`amazon-payments serve`);
- the ERP interface (HTTP API) on http://127.0.0.1:8125, its token in data/api-token;
and applies the module's alerts (Prefect Automations, deployments/alerts.py) to that server.

Unless AMAZON_PAY_PUBLIC_KEY_ID is set, the module talks to the local sandbox with a key pair
generated once under data/ (never committed). Ctrl-C stops everything it started, one service at
a time in reverse start order, the Prefect server last. The services run in a process group of
their own, so the terminal's Ctrl-C reaches only this supervisor: each service gets one SIGINT,
when the services after it have stopped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from adapters.erp.migrate import upgrade
from adapters.erp.store import make_engine
from adapters.settings import DATA_DIR, ModuleSettings
from api.serve import token_file
from deployments.instance import occupants, refusal, second_shell, services
from sandbox.keys import throwaway_key_pair

HOST = "127.0.0.1"
PREFECT_PORT = int(os.environ.get("PREFECT_PORT", "4200"))
SANDBOX_PORT = int(os.environ.get("AMAZON_PAYMENTS_SANDBOX_PORT", "8123"))
IPN_PORT = int(os.environ.get("AMAZON_PAYMENTS_IPN_PORT", "8124"))
ERP_API_PORT = int(os.environ.get("AMAZON_PAYMENTS_API_PORT", "8125"))
API_URL = f"http://{HOST}:{PREFECT_PORT}/api"
SANDBOX_URL = f"http://{HOST}:{SANDBOX_PORT}"
LOCAL_KEY_ID = "SANDBOX-LOCALMAKERUN00000000001"
CERT_PATH = "/_sns/SimpleNotificationService-sandbox.pem"
# The local sandbox's key pair and its state (charges, refunds, clock, settlements) across restarts.
SANDBOX_DIR = Path(os.environ.get("AMAZON_PAYMENTS_SANDBOX_DIR", DATA_DIR / "sandbox"))
SANDBOX_STATE = SANDBOX_DIR / "state.sqlite3"


def local_sandbox_key() -> tuple[Path, Path]:
    """The local key pair for the sandbox: (private PEM file, keys JSON for the sandbox)."""
    folder = SANDBOX_DIR
    private, keys = folder / "local-key.pem", folder / "keys.json"
    if not private.exists():
        folder.mkdir(parents=True, exist_ok=True)
        pem, public = throwaway_key_pair()
        private.touch(mode=0o600)
        private.write_bytes(pem)
        keys.write_text(json.dumps({LOCAL_KEY_ID: public}))
    return private, keys


def environment(private_key: Path | None) -> dict[str, str]:
    """Environment of every child: local Prefect, no telemetry, the local sandbox by default."""
    env = {
        **os.environ,
        "PREFECT_HOME": os.environ.get("PREFECT_HOME", str(DATA_DIR / "prefect")),
        "PREFECT_API_URL": API_URL,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
    }
    if private_key is not None:
        env |= {
            "AMAZON_PAY_PUBLIC_KEY_ID": LOCAL_KEY_ID,
            "AMAZON_PAY_PRIVATE_KEY": str(private_key),
            "AMAZON_PAY_BASE_URL": SANDBOX_URL,
        }
    return env


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    """Poll a URL until it answers below 500, or fail when the process died or time ran out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{_command_line(process)} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def _command_line(process: subprocess.Popen[bytes]) -> str:
    """The process's command as one line (Popen's args: a sequence or a single string/path)."""
    command = process.args
    if isinstance(command, str | bytes | os.PathLike):
        return str(command)
    return " ".join(map(str, command))


def start(args: list[str], env: dict[str, str], group: int) -> subprocess.Popen[bytes]:
    """Start a service in the services' process group (0: a new one, led by this service)."""
    print("starting:", " ".join(args), flush=True)
    return subprocess.Popen(args, env=env, process_group=group)  # noqa: S603 - our executables


def commands(local: bool, keys: Path | None) -> list[tuple[list[str], str | None]]:
    """(command, URL that answers once it is up) of every service, in start order."""
    cli = str(Path(sys.executable).parent / "amazon-payments")
    prefect = str(Path(sys.executable).parent / "prefect")
    ipn = [cli, "ipn", "serve", "--port", str(IPN_PORT)]
    started: list[tuple[list[str], str | None]] = [
        (
            [prefect, "server", "start", "--host", HOST, "--port", str(PREFECT_PORT)],
            f"{API_URL}/health",
        ),
    ]
    if local and keys is not None:
        started.append((
            [cli, "sandbox", "serve", "--port", str(SANDBOX_PORT), "--admin", "--keys-file",
             str(keys), "--ipn-url", f"http://{HOST}:{IPN_PORT}/ipn",
             "--state-file", str(SANDBOX_STATE)],
            f"{SANDBOX_URL}{CERT_PATH}",
        ))  # fmt: skip
        ipn += ["--trust-cert-url", f"{SANDBOX_URL}{CERT_PATH}"]
    erp_api = [cli, "api", "serve", "--host", HOST, "--port", str(ERP_API_PORT)]
    started += [(ipn, None), ([cli, "serve"], None)]
    started.append((erp_api, f"http://{HOST}:{ERP_API_PORT}/openapi.json"))
    return started


def apply_alerts(env: dict[str, str]) -> None:
    """The module's Prefect Automations on the server just started (idempotent; see alerts.py)."""
    cli = str(Path(sys.executable).parent / "amazon-payments")
    if subprocess.run([cli, "alerts", "apply"], env=env, check=False).returncode:  # noqa: S603
        print("alerts not applied; retry with: amazon-payments alerts apply", flush=True)


def apply_limits(env: dict[str, str]) -> None:
    """Amazon's quotas as the server's global concurrency limits (deployments/limits.py)."""
    cli = str(Path(sys.executable).parent / "amazon-payments")
    if subprocess.run([cli, "limits", "apply"], env=env, check=False).returncode:  # noqa: S603
        print("limits not applied; retry with: amazon-payments limits apply", flush=True)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # Handled, not ignored, even when started in the background of a script (which ignores
    # SIGINT): the services then start with SIGINT's default and stop on the one `stop_all` sends.
    for signum in STOP_SIGNALS:  # SIGHUP: the terminal closed, which no longer reaches them
        signal.signal(signum, _stop)
    local = not os.environ.get("AMAZON_PAY_PUBLIC_KEY_ID")
    private, keys = local_sandbox_key() if local else (None, None)
    env = environment(private)
    shell = second_shell(env, not local, private)
    ours = services(
        PREFECT_PORT, SANDBOX_PORT if local else None, IPN_PORT, CERT_PATH, ERP_API_PORT
    )
    if problem := refusal(occupants(ours), shell):
        print(problem, file=sys.stderr, flush=True)
        raise SystemExit(1)
    settings = ModuleSettings()
    upgrade(make_engine(settings.database_url))
    print(f"database upgraded: {settings.database_url}", flush=True)
    if not env.get("AMAZON_PAYMENTS_API_TOKEN"):
        env["AMAZON_PAYMENTS_API_TOKEN"] = token_file(DATA_DIR / "api-token")
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for args, ready_url in commands(local, keys):
            processes.append(start(args, env, processes[0].pid if processes else 0))
            if ready_url:
                wait_until_up(ready_url, processes[-1])
            if ready_url == f"{API_URL}/health":  # before any flow can call Amazon
                apply_limits(env)
        apply_alerts(env)
        print(f"Prefect UI: http://{HOST}:{PREFECT_PORT}   sandbox: {SANDBOX_URL}", flush=True)
        print(shell, flush=True)
        print(f"ERP API: http://{HOST}:{ERP_API_PORT}  (token in {DATA_DIR / 'api-token'})")
        print(f"Ctrl-C stops them all (were this process killed: kill -INT -- -{processes[0].pid})")
        while all(p.poll() is None for p in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stop_all(processes)


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop the services one at a time, the last started first: the flows stop while the Prefect
    server still answers them. A further Ctrl-C is ignored meanwhile; a service that takes more
    than 20 seconds is killed."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    if processes:
        print("stopping the services, the Prefect server last ...", flush=True)
    for process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()

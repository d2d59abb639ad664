"""`make run`: the main job on embedded defaults.

Upgrades the ERP store, starts a local Prefect server (UI on http://127.0.0.1:4200) and serves
every deployment of `deployments.serve` against it. Ctrl-C stops everything it started.
"""

from __future__ import annotations

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
from deployments.serve import deployments

HOST, PORT = "127.0.0.1", int(os.environ.get("PREFECT_PORT", "4200"))
API_URL = f"http://{HOST}:{PORT}/api"


def prefect_env() -> dict[str, str]:
    """Environment for the Prefect server and clients: local home, no telemetry."""
    return {
        **os.environ,
        "PREFECT_HOME": os.environ.get("PREFECT_HOME", str(DATA_DIR / "prefect")),
        "PREFECT_API_URL": API_URL,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
    }


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    """Poll a health URL until it answers 200, or fail when the process died or time ran out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not become healthy within {seconds:.0f} s")


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    print("starting:", " ".join(args), flush=True)
    return subprocess.Popen(args, env=env)  # noqa: S603 - our own executables


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    settings = ModuleSettings()
    upgrade(make_engine(settings.database_url))
    print(f"database upgraded: {settings.database_url}", flush=True)
    env = prefect_env()
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    processes = [
        start(
            [str(bin_dir / "prefect"), "server", "start", "--host", HOST, "--port", str(PORT)], env
        )
    ]
    try:
        wait_until_healthy(f"{API_URL}/health", processes[0])
        print(f"Prefect UI: http://{HOST}:{PORT}", flush=True)
        if deployments():
            processes.append(start([sys.executable, "-m", "deployments.serve"], env))
        while all(p.poll() is None for p in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()

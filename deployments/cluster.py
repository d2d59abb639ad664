"""`make cluster`: the module on the real engine, locally - a Prefect server on PostgreSQL, a
process work pool, the deployments of prefect.yaml (`prefect deploy --all`) and N workers.

Started in this order, every service on 127.0.0.1, state and logs under data/cluster/:
1. the databases `prefect` (Prefect's) and `amazon_payments` (the ERP store) on the local
   PostgreSQL, created when missing; the ERP store upgraded;
2. `prefect server start` with PREFECT_API_DATABASE_CONNECTION_URL on `prefect`;
3. unless AMAZON_PAY_PUBLIC_KEY_ID is set: the local Amazon sandbox with Amazon's live quotas
   (key pair of `make run`, under data/sandbox/);
4. the process work pool `default`, Amazon's quotas as global concurrency limits
   (`amazon-payments limits apply`), `prefect --no-prompt deploy --all`;
5. `prefect worker start --pool default` N times.

The processes run on after `make cluster` returns; their ids are in data/cluster/pids.json, and
`make cluster-stop` ends them. The workers pace Amazon calls with the Redis token buckets at
AMAZON_PAY_REDIS_URL (default 127.0.0.1:6379; `LIMITER=prefect` for the Prefect limits instead,
`LIMITER=local` for per-process buckets; adapters/amazon_pay/limiter.py says why Redis). The
private key reaches the workers (and their flow runs) only through their environment, as a path
to a file: never a deployment, job variable or flow parameter, so never Prefect's database.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from adapters.amazon_pay.limiter import DEFAULT_REDIS_URL
from adapters.erp import databases
from adapters.erp.migrate import upgrade
from adapters.erp.store import make_engine
from adapters.settings import DATA_DIR

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("AMAZON_PAYMENTS_CLUSTER_POSTGRES", "postgres@127.0.0.1:5432")
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Cluster:
    """Where one cluster keeps its state, which ports and databases it uses, how many workers."""

    state: Path = DATA_DIR / "cluster"
    workers: int = 3
    prefect_port: int = int(os.environ.get("AMAZON_PAYMENTS_CLUSTER_PREFECT_PORT", "4210"))
    sandbox_port: int = int(os.environ.get("AMAZON_PAYMENTS_CLUSTER_SANDBOX_PORT", "8133"))
    prefect_database: str = "prefect"
    erp_database: str = "amazon_payments"
    pool: str = "default"
    # Flow runs one worker takes at a time (None: no limit); 1 spreads concurrent runs over all.
    worker_limit: int | None = None
    # Extra environment of the workers (and so of their flow runs), e.g. AMAZON_PAY_LIMITER.
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.prefect_port}/api"

    @property
    def prefect_database_url(self) -> str:
        return f"postgresql+asyncpg://{POSTGRES}/{self.prefect_database}"

    @property
    def erp_database_url(self) -> str:
        return f"postgresql+psycopg://{POSTGRES}/{self.erp_database}"


def ensure_database(name: str, fresh: bool = False) -> None:
    """Create the cluster's PostgreSQL database `name` if missing (dropped first when `fresh`)."""
    databases.ensure_database(f"postgresql+psycopg://{POSTGRES}/postgres", name, fresh)


def drop_database(name: str) -> None:
    """Drop a database of a cluster (tests and benchmarks clean up after themselves)."""
    databases.drop_database(f"postgresql+psycopg://{POSTGRES}/postgres", name)


def base_environment(cluster: Cluster) -> dict[str, str]:
    """What every process of the cluster sees: its Prefect API and ERP store, no telemetry."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    return env | {
        "PREFECT_HOME": str(cluster.state / "prefect"),
        "PREFECT_API_URL": cluster.api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
        "AMAZON_PAYMENTS_DATABASE_URL": cluster.erp_database_url,
        "AMAZON_PAYMENTS_HOME": str(REPO),
        "AMAZON_PAYMENTS_BUSINESS_TIME_ZONE": os.environ.get(
            "AMAZON_PAYMENTS_BUSINESS_TIME_ZONE", "Europe/Berlin"
        ),
        **cluster.env,
    }


def local_amazon(cluster: Cluster) -> tuple[list[str], dict[str, str]]:
    """The local sandbox's command (live quotas) and the settings that point the module at it."""
    from deployments.run import CERT_PATH, LOCAL_KEY_ID, local_sandbox_key

    private, keys = local_sandbox_key()
    url = f"http://{HOST}:{cluster.sandbox_port}"
    command = [
        str(BIN / "amazon-payments"), "sandbox", "serve", "--port", str(cluster.sandbox_port),
        "--admin", "--quotas", "live", "--keys-file", str(keys),
        "--state-file", str(cluster.state / "sandbox.sqlite3"),
    ]  # fmt: skip
    settings = {
        "AMAZON_PAY_PUBLIC_KEY_ID": LOCAL_KEY_ID,
        "AMAZON_PAY_PRIVATE_KEY": str(private),
        "AMAZON_PAY_BASE_URL": url,
        "AMAZON_PAY_QUOTAS": "live",
        "_READY_URL": f"{url}{CERT_PATH}",
    }
    return command, settings


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    """Poll until the URL answers below 500; fail with the log's tail if the process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited; last log lines:\n{tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s; log:\n{tail(log)}")


def tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


class Processes:
    """The long-running processes of one cluster, recorded in its pids.json."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.logs = cluster.state / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str], env: Mapping[str, str]) -> Path:
        log = self.logs / f"{name}.log"
        with log.open("ab") as sink:
            self.started[name] = subprocess.Popen(  # noqa: S603 - our own executables
                command, env=dict(env), cwd=REPO, stdout=sink, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self._record()
        return log

    def _record(self) -> None:
        pids = {name: process.pid for name, process in self.started.items()}
        (self.cluster.state / "pids.json").write_text(json.dumps(pids, indent=2))


def run(command: list[str], env: Mapping[str, str], what: str) -> None:
    """A one-off command of the start-up; its output goes to the log, failure is fatal."""
    done = subprocess.run(command, env=dict(env), cwd=REPO, capture_output=True, check=False)  # noqa: S603
    if done.returncode:
        output = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{output}")


def start(cluster: Cluster, amazon: Mapping[str, str] | None = None) -> Processes:
    """Start the cluster; `amazon`: the AMAZON_PAY_* settings, or None for the local sandbox."""
    cluster.state.mkdir(parents=True, exist_ok=True)
    ensure_database(cluster.prefect_database)
    ensure_database(cluster.erp_database)
    upgrade(make_engine(cluster.erp_database_url))
    env = base_environment(cluster)
    processes = Processes(cluster)
    try:
        server_env = env | {"PREFECT_API_DATABASE_CONNECTION_URL": cluster.prefect_database_url}
        log = processes.start(
            "prefect-server",
            [str(BIN / "prefect"), "server", "start", "--host", HOST,
             "--port", str(cluster.prefect_port)],
            server_env,
        )  # fmt: skip
        wait_until_up(f"{cluster.api_url}/health", processes.started["prefect-server"], log, 180)
        if amazon is None:
            command, settings = local_amazon(cluster)
            ready = settings.pop("_READY_URL")
            log = processes.start("sandbox", command, env)
            wait_until_up(ready, processes.started["sandbox"], log, 60)
            amazon = settings
        env |= amazon
        prefect = str(BIN / "prefect")
        run([prefect, "work-pool", "create", cluster.pool, "--type", "process", "--overwrite"],
            env, "work-pool create")  # fmt: skip
        run([str(BIN / "amazon-payments"), "limits", "apply"], env, "limits apply")
        run([prefect, "--no-prompt", "deploy", "--all"], env, "prefect deploy --all")
        limit = [] if cluster.worker_limit is None else ["--limit", str(cluster.worker_limit)]
        for number in range(1, cluster.workers + 1):
            name = f"worker-{number}"
            processes.start(
                name,
                [prefect, "worker", "start", "--pool", cluster.pool, "--type", "process",
                 "--name", f"{cluster.state.name}-{name}", *limit],
                env,
            )  # fmt: skip
    except BaseException:
        stop(cluster)
        raise
    return processes


def stop(cluster: Cluster, seconds: float = 30) -> list[str]:
    """End every process recorded in the cluster's pids.json (workers first); their names."""
    record = cluster.state / "pids.json"
    if not record.exists():
        return []
    pids: dict[str, int] = json.loads(record.read_text())
    for pid in reversed(pids.values()):
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    for pid in pids.values():
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
    record.unlink()
    return list(pids)


def _signal_group(pid: int, number: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, number)  # each was started in a session of its own: its children too


def _alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child (stopped from another shell): ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return finished == 0


def main() -> None:
    parser = argparse.ArgumentParser(description="The module on a local Prefect cluster.")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--limiter", choices=["redis", "prefect", "local"], default="redis",
        help="who paces Amazon calls: Redis token buckets (measured best), the Prefect limits, "
        "or per-process buckets (the old behaviour, over quota with several workers)",
    )  # fmt: skip
    args = parser.parse_args()
    pacing = {"AMAZON_PAY_LIMITER": args.limiter}
    if args.limiter == "redis":
        pacing["AMAZON_PAY_REDIS_URL"] = os.environ.get("AMAZON_PAY_REDIS_URL", DEFAULT_REDIS_URL)
    cluster = Cluster(workers=args.workers, env=pacing)
    if args.action == "stop":
        stopped = stop(cluster)
        print(f"stopped: {', '.join(stopped)}" if stopped else "no cluster running")
        return
    if (cluster.state / "pids.json").exists():
        raise SystemExit("a cluster is recorded in data/cluster/pids.json: make cluster-stop first")
    start(cluster, None if not os.environ.get("AMAZON_PAY_PUBLIC_KEY_ID") else {})
    print(
        f"Prefect UI: http://{HOST}:{cluster.prefect_port} ({args.workers} workers, pool "
        f"{cluster.pool!r}, limiter {args.limiter}); logs in {cluster.state / 'logs'}; "
        "stop with: make cluster-stop"
    )


if __name__ == "__main__":
    main()

"""Benchmark: activation on the real engine - a PostgreSQL-backed Prefect server, a process pool and
N workers running concurrent `activate-batch` runs against the sandbox with Amazon's live quotas
(Capture Charge: burst 20, 4 per second, per merchant account).

Twice, each on a cluster of its own (deployments/cluster.py: fresh databases `prefect_bench` and
`amazon_payments_bench`, state in a temporary folder): with the shared limiter (Redis token
buckets, or `--limiter prefect` for Prefect's global concurrency limits), then the baseline with
today's per-process token buckets. Measured at the sandbox (it records when it let each capture
in, and answers 429 past the quota):
- quota_share: (captures - burst) / (time of the last capture - the first) / 4 per second;
- throttled_share: capture requests answered 429 / capture requests;
- duplicates: documents (charge permissions) captured more than once.

Run: .venv/bin/python bench/cluster.py [--workers 3] [--documents 3000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.amazon_pay.limiter import DEFAULT_REDIS_URL  # noqa: E402
from deployments.cluster import Cluster, drop_database, ensure_database, start, stop  # noqa: E402

CAPTURE_BURST, CAPTURE_RATE = 20, 4.0
KEY_ID = "SANDBOX-CLUSTERBENCH000000001"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    from sandbox.server import bind_socket

    probe = bind_socket()
    port = int(probe.getsockname()[1])
    probe.close()
    return port


def sandbox(stack: ExitStack, folder: Path) -> str:
    """The sandbox on loopback (no quotas while preparing); the key reaches workers as a file."""
    from sandbox.config import SandboxConfig
    from sandbox.keys import throwaway_key_pair
    from sandbox.server import run_in_thread

    private, public = throwaway_key_pair()
    key_file = folder / "bench-key.pem"
    key_file.touch(mode=0o600)
    key_file.write_bytes(private)
    config = SandboxConfig(admin=True, public_keys={KEY_ID: public}, quotas="off")
    base_url = stack.enter_context(run_in_thread(config))
    os.environ.update({
        "AMAZON_PAY_PUBLIC_KEY_ID": KEY_ID,
        "AMAZON_PAY_PRIVATE_KEY": str(key_file),
        "AMAZON_PAY_BASE_URL": base_url,
        "AMAZON_PAY_QUOTAS": "live",
    })  # fmt: skip
    return base_url


def admin(base_url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.request(method, f"{base_url}/_admin{path}", json=body, timeout=120)
    response.raise_for_status()
    return response.json()


def pause_sweeper(cluster: Cluster) -> None:
    """The scheduled `sync` would activate the same documents: pause it for a clean measure."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(updates={PREFECT_API_URL: cluster.api_url}),
        get_client(sync_client=True) as client,
    ):
        client.pause_deployment(client.read_deployment_by_name("sync/sync").id)


def run_batches(cluster: Cluster, parts: list[list[str]]) -> list[Any]:
    """Start one activate-batch run per part at once; wait until all are final."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: cluster.api_url}):
        runs = [
            run_deployment("activate-batch/activate-batch", parameters={"numbers": p}, timeout=0)
            for p in parts
        ]
        with get_client(sync_client=True) as client:
            while True:
                states = [client.read_flow_run(run.id) for run in runs]
                if all(r.state is not None and r.state.type.value in FINAL for r in states):
                    return states
                time.sleep(2)


def figures(base_url: str, documents: int, seconds: float) -> dict[str, Any]:
    """What the sandbox saw: capture rate against the quota, 429s, duplicates."""
    seen = admin(base_url, "GET", "/throttle")
    counts = seen["counts"].get("Capture Charge", {"allowed": 0, "throttled": 0})
    times = sorted(seen["allowedAt"].get("Capture Charge", []))
    ledger = admin(base_url, "GET", "/ledger")
    captured = Counter(
        charge["chargePermissionId"]
        for charge in ledger["charges"]
        if charge["statusDetails"]["state"] == "Captured"
    )
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    requests = counts["allowed"] + counts["throttled"]
    return {
        "documents": documents,
        "activated": len(captured),
        "seconds": round(seconds, 1),
        "captures": len(times),
        "capture_requests": requests,
        "quota_share": round((len(times) - CAPTURE_BURST) / span / CAPTURE_RATE, 4) if span else 0,
        "throttled_share": round(counts["throttled"] / requests, 4) if requests else 0.0,
        "duplicates": sum(1 for n in captured.values() if n > 1),
        # Every operation: a document whose Get Charge stays throttled is never captured.
        "requests": {op: f"{c['throttled']} of {c['allowed'] + c['throttled']} answered 429"
                     for op, c in seen["counts"].items()},
    }  # fmt: skip


def erp_statuses(database_url: str) -> dict[str, int]:
    """How many documents the ERP store holds in each payment status."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT payment_status, count(*) FROM documents GROUP BY payment_status")
            )
            return {str(status): int(count) for status, count in rows}
    finally:
        engine.dispose()


def runs_taken(worker_log: str, run_ids: set[str]) -> list[str]:
    """The runs this worker started. Workers that poll at the same moment both log "submitting"
    for the same run; the server lets one move it to Pending and the other logs "Aborted
    submission", so those do not count."""
    return [
        i
        for i in sorted(run_ids)
        if f"submitting flow run '{i}'" in worker_log
        and f"Aborted submission of flow run '{i}'" not in worker_log
    ]


def run_once(
    folder: Path, workers: int, documents: int, limiter: str, prefix: str, name: str = "bench"
) -> dict[str, Any]:
    """One sandbox and cluster, `documents` activations in `workers` concurrent runs; figures."""
    with ExitStack() as stack:
        base_url = sandbox(stack, folder)
        return measure(base_url, folder, workers, documents, limiter, prefix, name)


def measure(
    base_url: str, folder: Path, workers: int, documents: int, limiter: str, prefix: str, name: str
) -> dict[str, Any]:
    """Start a cluster (databases prefect_<name>, amazon_payments_<name>, created afresh and
    dropped after), prepare the documents, activate them in concurrent runs, stop it."""
    from bench.activation import prepare

    pacing = {"AMAZON_PAY_LIMITER": limiter}
    if limiter == "redis":
        pacing["AMAZON_PAY_REDIS_URL"] = os.environ.get("AMAZON_PAY_REDIS_URL", DEFAULT_REDIS_URL)
    cluster = Cluster(
        state=folder / f"cluster-{prefix}",
        workers=workers,
        prefect_port=free_port(),
        prefect_database=f"prefect_{name}",
        erp_database=f"amazon_payments_{name}",
        worker_limit=1,
        env=pacing,
    )
    ensure_database(cluster.prefect_database, fresh=True)
    ensure_database(cluster.erp_database, fresh=True)
    start(cluster, amazon={})
    try:
        pause_sweeper(cluster)
        admin(base_url, "PUT", "/throttle", {"quotas": "off"})
        numbers = prepare(base_url, folder, documents, prefix, cluster.erp_database_url)
        parts = [numbers[i::workers] for i in range(workers)]
        admin(base_url, "PUT", "/throttle", {"quotas": "live"})  # counters start at zero
        started = time.monotonic()
        runs = run_batches(cluster, parts)
        result = figures(base_url, documents, time.monotonic() - started)
        result |= {"workers": workers, "limiter": limiter, "runs": [r.state.name for r in runs]}
        result["statuses"] = erp_statuses(cluster.erp_database_url)
        ours = {str(r.id) for r in runs}
        result["runs_by_worker"] = {
            log.stem: runs_taken(log.read_text(), ours)
            for log in sorted((cluster.state / "logs").glob("worker-*.log"))
        }
        return result
    finally:
        stop(cluster)
        drop_database(cluster.prefect_database)
        drop_database(cluster.erp_database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--documents", type=int, default=3000)
    parser.add_argument("--limiter", choices=["redis", "prefect"], default="redis")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-baseline", action="store_true", help="skip the per-process run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        folder = Path(tmp)
        shared = run_once(folder, args.workers, args.documents, args.limiter, "C")
        print(f"shared limiter ({args.limiter}): {shared}", flush=True)
        baseline = None
        if not args.no_baseline:
            baseline = run_once(folder, args.workers, args.documents, "local", "B")
            print(f"baseline (per-process buckets): {baseline}", flush=True)
    keys = ("workers", "documents", "activated", "seconds", "quota_share", "throttled_share",
            "duplicates", "requests")  # fmt: skip
    summary = {key: shared[key] for key in keys} | {
        "limiter": args.limiter,
        "baseline": None if baseline is None else {key: baseline[key] for key in keys},
    }
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()

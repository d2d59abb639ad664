"""Benchmark: N authorizations pending at once - what their waits cost while Amazon decides.

Suspended (today's deployed `authorize`): a Prefect server (the test harness's temporary
server on SQLite), a process work pool, the `authorize` deployment, one `prefect worker`
polling every 2 s (PREFECT_WORKER_QUERY_SECONDS=2, at most --limit runs at a time), the local
sandbox on loopback and an ERP store (SQLite). N orders whose authorization Amazon answers
only after 20 minutes (card ****0720), K whose answer comes after a minute (****0701). All
N + K runs are started; each creates its charge, keeps its run id and suspends. Then:
- during the wait: the worker's processes (itself and every descendant) and their RSS, sampled;
- notification: Amazon's clock is advanced a minute, the K documents are reconciled through
  the notification service, which resumes each run: seconds until it left Suspended and until
  it ended Accepted;
- timeout: the sweeper (services.sweep.sweep_once, as the `sync` run calls it) after the
  authorization timeout: seconds until every remaining run is Completed as Overdue, and the
  runs' run_count (1: no process ran them again).

Baseline (--baseline M): today's in-process wait, the same flow called without a deployment
(`authorize(number)` in a process of its own, which polls the store and Amazon until the
timeout), M at once: their processes and RSS while they wait.

`--engine` deploys `authorize` with the job variable `command: python -m prefect.engine`: the
worker then starts the engine directly instead of Prefect's workspace supervisor, one process
per run instead of two (what a run does is the same). A run that ends before it suspends (a
crash while starting) is counted under `ended_before_suspending` and left out of the phases.

Run: .venv/bin/python bench/pending.py [--pending 1000] [--notified 5] [--baseline 50] [--engine]
The last line is the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

KEY_ID = "SANDBOX-PENDINGBENCH0000000001"
SLOW, SOON = "Visa ****0720", "Visa ****0701"
POOL = "pending-bench"
TIMEOUT = 120.0  # the authorization timeout of the bench's runs (seconds)


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(root: int) -> list[int]:
    """`root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [root], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def sample(pids: Callable[[], list[int]], seconds: float, every: float = 1.0) -> dict[str, Any]:
    """Processes and their summed RSS, sampled for `seconds`: the largest seen."""
    most, most_rss = 0, 0
    end = time.monotonic() + seconds
    while True:
        alive = [pid for pid in pids() if rss_kb(pid)]
        most = max(most, len(alive))
        most_rss = max(most_rss, sum(rss_kb(pid) for pid in alive))
        if time.monotonic() >= end:
            break
        time.sleep(every)
    return {"processes_max": most, "rss_mb_max": round(most_rss / 1024, 1)}


def until_alone(root: int, seconds: float) -> float:
    """Seconds until `root` has no descendant left: the suspended runs' processes have exited
    (a run is Suspended at the server a moment before its process has finished exiting)."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if len([pid for pid in tree(root) if rss_kb(pid)]) <= 1:
            break
        time.sleep(0.5)
    return time.monotonic() - began


def place_orders(engine: Any, amazon: str, numbers: list[str], card: str) -> None:
    from adapters.erp.store import UnitOfWork
    from domain.documents import Customer, Document, DocumentType, Item
    from domain.money import Money

    with UnitOfWork(engine) as uow:
        for number in numbers:
            body = {"amount": "44.90", "currencyCode": "EUR", "paymentDescriptor": card}
            permission = httpx.post(f"{amazon}/_admin/checkouts", json=body, timeout=30).json()
            uow.documents.add(
                Document(
                    number=number,
                    doc_type=DocumentType.ORDER,
                    currency="EUR",
                    items=[Item("TASSE", "Tasse", 1, Money(Decimal("40.00"), "EUR"))],
                    shipping=Money(Decimal("4.90"), "EUR"),
                    customer=Customer("Erika Mustermann", "erika@example.org"),
                    charge_permission_id=permission["chargePermissionId"],
                )
            )
        uow.commit()


def states(run_ids: list[UUID]) -> dict[UUID, Any]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    found: dict[UUID, Any] = {}
    with get_client(sync_client=True) as client:
        for start in range(0, len(run_ids), 200):
            ids = run_ids[start : start + 200]
            flt = FlowRunFilter(id=FlowRunFilterId(any_=ids))
            for run in client.read_flow_runs(flow_run_filter=flt, limit=len(ids)):
                found[run.id] = run
    return found


def named(ids: dict[str, UUID]) -> dict[str, Any]:
    """Document number -> its run as the server has it."""
    runs = states(list(ids.values()))
    return {number: runs[run_id] for number, run_id in ids.items()}


def wait_until(run_ids: list[UUID], done: Callable[[Any], bool], seconds: float) -> float:
    """Seconds until `done` holds for every run's state (raises past `seconds`)."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        runs = states(run_ids)
        if len(runs) == len(run_ids) and all(r.state and done(r) for r in runs.values()):
            return time.monotonic() - began
        time.sleep(0.5)
    left = [str(r.state) for r in states(run_ids).values() if not (r.state and done(r))]
    raise RuntimeError(f"{len(left)} runs not there after {seconds} s: {left[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=1000)
    parser.add_argument("--notified", type=int, default=5)
    parser.add_argument("--baseline", type=int, default=50)
    parser.add_argument(
        "--engine", action="store_true",
        help="the deployment's command is `python -m prefect.engine` (no workspace supervisor)",
    )  # fmt: skip
    parser.add_argument("--limit", type=int, default=4, help="runs the worker starts at once")
    args = parser.parse_args()

    from prefect.testing.utilities import prefect_test_harness

    from adapters.erp.migrate import upgrade
    from adapters.erp.store import make_engine
    from sandbox.config import SandboxConfig
    from sandbox.keys import throwaway_key_pair
    from sandbox.server import run_in_thread

    figures: dict[str, Any] = {"pending": args.pending, "notified": args.notified}
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pending-")))
        private, public = throwaway_key_pair()
        config = SandboxConfig(admin=True, public_keys={KEY_ID: public}, quotas="off")
        amazon = stack.enter_context(run_in_thread(config))
        database = f"sqlite:///{folder / 'erp.sqlite3'}"
        engine = make_engine(database)
        upgrade(engine)
        stack.enter_context(prefect_test_harness(server_startup_timeout=120))
        from prefect.settings import PREFECT_API_URL

        env = os.environ | {
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "AMAZON_PAY_PUBLIC_KEY_ID": KEY_ID,
            "AMAZON_PAY_PRIVATE_KEY": private.decode(),
            "AMAZON_PAY_BASE_URL": amazon,
            "AMAZON_PAY_LIMITER": "local",
            "AMAZON_PAYMENTS_DATABASE_URL": database,
            "AMAZON_PAYMENTS_AUTHORIZATION_TIMEOUT_SECONDS": str(int(TIMEOUT)),
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
        slow = [f"P{i:05d}" for i in range(args.pending)]
        soon = [f"N{i:05d}" for i in range(args.notified)]
        place_orders(engine, amazon, slow, SLOW)
        place_orders(engine, amazon, soon, SOON)

        if args.baseline:
            figures["baseline"] = baseline(env, engine, amazon, args.baseline)
            print("baseline", json.dumps(figures["baseline"]), flush=True)

        subprocess.run(
            [sys.executable, "-m", "prefect", "work-pool", "create", POOL, "--type", "process"],
            env=env, cwd=REPO, check=True, capture_output=True,
        )  # fmt: skip
        job_variables = {"command": f"{sys.executable} -m prefect.engine"} if args.engine else {}
        deploy = (
            "from prefect import flow\n"
            f"flow.from_source({str(REPO)!r}, 'flows/orders.py:authorize').deploy("
            f"'authorize', work_pool_name={POOL!r}, print_next_steps=False,"
            f" job_variables={job_variables!r})\n"
        )
        subprocess.run([sys.executable, "-c", deploy], env=env, cwd=REPO, check=True)
        worker = subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL,
             "--limit", str(args.limit)],
            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        stack.callback(stop, worker)
        os.environ.update({k: v for k, v in env.items() if k.startswith("AMAZON_PAY")})
        figures |= suspended(worker.pid, slow, soon, engine, amazon)
        print(json.dumps(figures), flush=True)  # before the clean-up, which may take long


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def suspended(
    worker: int, slow: list[str], soon: list[str], engine: Any, amazon: str
) -> dict[str, Any]:
    """Start every run, wait until all are suspended, then measure the wait and its ends."""
    from prefect.deployments import run_deployment

    from adapters.amazon_pay import AmazonPayClient
    from adapters.prefect_runs import PrefectRuns
    from adapters.settings import AmazonPaySettings, ModuleSettings
    from services import notifications, sweep
    from services.resources import Resources

    idle = sample(lambda: tree(worker), 3)
    began = time.monotonic()
    ids = {
        number: run_deployment("authorize/authorize", parameters={"number": number}, timeout=0).id
        for number in soon + slow
    }
    run_ids = list(ids.values())
    to_suspend = wait_until(run_ids, lambda r: r.state.is_paused() or r.state.is_final(), 6 * 3600)
    # A run that ended before its wait (a crash while starting, say) is counted and left out.
    lost = {n: str(r.state.name) for n, r in named(ids).items() if not r.state.is_paused()}
    slow, soon = [n for n in slow if n not in lost], [n for n in soon if n not in lost]
    print(f"{len(slow) + len(soon)} runs suspended after {time.monotonic() - began:.0f} s"
          f" ({len(lost)} ended before: {sorted(set(lost.values()))})", flush=True)  # fmt: skip
    exited = until_alone(worker, 300)
    waiting = sample(lambda: tree(worker), 30)
    print("waiting", round(exited, 1), json.dumps(waiting), flush=True)

    settings = ModuleSettings(authorization_timeout_seconds=int(TIMEOUT))
    client = AmazonPayClient.from_settings(AmazonPaySettings())
    res = Resources(engine, client, settings, runs=PrefectRuns())
    httpx.post(f"{amazon}/_admin/clock/advance", json={"minutes": 1}, timeout=30)
    left_suspended, accepted = [], []
    for number in soon:
        with res.uow() as uow:
            case = uow.cases.get(number)
        assert case is not None and case.latest_charge is not None
        run_id = ids[number]
        t0 = time.monotonic()
        notifications.reconcile_object(res, "Charge", case.latest_charge.amazon_id)
        wait_until([run_id], lambda r: not r.state.is_paused(), 60)
        left_suspended.append(time.monotonic() - t0)
        wait_until([run_id], lambda r: r.state.is_final(), 300)
        accepted.append(time.monotonic() - t0)
    ended = states([ids[n] for n in soon])
    names = sorted({str(r.state.name) for r in ended.values()})

    pause_left = max(0.0, TIMEOUT - (time.monotonic() - began))
    time.sleep(pause_left + 1)
    t0 = time.monotonic()
    sweep.sweep_once(res, len(ids) + 10)
    sweep_seconds = time.monotonic() - t0
    overdue = states([ids[n] for n in slow])
    overdue_names = sorted({str(r.state.name) for r in overdue.values()})
    run_counts = sorted({r.run_count for r in overdue.values()})
    return {
        "suspended": {
            "runs": len(slow) + len(soon),
            "ended_before_suspending": lost,
            "seconds_to_suspend_all": round(to_suspend, 1),
            "worker_idle": idle,
            "s_until_run_processes_exited": round(exited, 1),
            "during_wait": waiting,
        },
        "notified": {
            "left_suspended_s_max": round(max(left_suspended), 2) if left_suspended else None,
            "ended_s_max": round(max(accepted), 1) if accepted else None,
            "end_states": names,
        },
        "timeout": {
            "sweep_s": round(sweep_seconds, 1),
            "end_states": overdue_names,
            "run_counts": run_counts,
        },
    }


def baseline(env: dict[str, str], engine: Any, amazon: str, count: int) -> dict[str, Any]:
    """M flow processes waiting in-process (no deployment), sampled while they wait."""
    numbers = [f"B{i:05d}" for i in range(count)]
    place_orders(engine, amazon, numbers, SLOW)
    code = "import sys\nfrom flows.orders import authorize\nauthorize(sys.argv[1], 600)\n"
    folder = Path(tempfile.mkdtemp(prefix="pending-baseline-"))  # each process's stderr
    errors = [(folder / number).open("wb") for number in numbers]
    processes = [
        subprocess.Popen([sys.executable, "-c", code, number], env=env, cwd=REPO,
                         stdout=subprocess.DEVNULL, stderr=error)
        for number, error in zip(numbers, errors, strict=True)
    ]  # fmt: skip
    try:
        from adapters.erp.store import UnitOfWork

        began = time.monotonic()
        while time.monotonic() - began < 1800:  # until every live process's document has its charge
            with UnitOfWork(engine) as uow:
                cases = [uow.cases.get(n) for n in numbers]
            if all(
                process.poll() is not None or (case is not None and case.latest_charge is not None)
                for process, case in zip(processes, cases, strict=True)
            ):
                break
            time.sleep(1)
        time.sleep(5)  # past the charge: every process is in its wait
        figures = sample(lambda: [p.pid for p in processes if p.poll() is None], 20)
        ended = [n for n, p in zip(numbers, processes, strict=True) if p.poll() is not None]
        figures["waiting"] = count - len(ended)
        if ended:  # a process that ended before its wait: its last line says why
            lines = (folder / ended[0]).read_text(errors="replace").strip().splitlines()
            figures["ended_early"] = {"count": len(ended), "first": lines[-1] if lines else ""}
        return figures
    finally:
        for process in processes:
            process.kill()
        for process in processes:
            process.wait()
        for error in errors:
            error.close()
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()

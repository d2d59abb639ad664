"""Benchmark: the sweeper with 1,000 authorizations pending at once, against Amazon's live quotas.

Orders arrive one by one over `--arrival` seconds (1,000 in 10 minutes: all pending at once,
since none times out before 15 minutes) and each is authorized at the sandbox with the card
Amazon decides only after 20 minutes, so every one of them reaches its timeout undecided. The
sweeper runs as the `sync` deployment does: every 120 s, one sweep at a time (a sweep that
overruns delays the next), Get Charge paced by the live quota (burst 20, 4 a second). Reported
per run: how long after its timeout each document was marked overdue and its waiting run
ended Overdue (the target: within one sweep interval), Get Charge calls, and the longest sweep.
The store is PostgreSQL (a fresh database per run). Each order's `authorize` run is a Suspended
flow run on Prefect's temporary server (created through the API, as the suspended run leaves it:
no process waits; `bench/pending.py` measures the runs themselves), whose id is kept with the
document, so the sweeper ends them as it ends real ones.

The baseline in the same run is the same script on an earlier commit of the code
(`--baseline-tree`, a checkout made with `git worktree add`), started at the same time with a
sandbox and database of its own: the sandbox's quotas are per sandbox, as Amazon's are per
account.

Run: .venv/bin/python bench/overdue.py [--pending 1000] [--arrival 600] [--interval 120]
     [--baseline-tree DIR]
"""

from __future__ import annotations

import argparse
import contextvars
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CARD = "Visa ****0720"  # the sandbox decides it after 20 minutes


def one_run(pending: int, arrival: float, interval: float, database_url: str) -> dict[str, Any]:
    """Arrivals in a thread, the sweeper in this one; figures once every document is decided
    or overdue. Imports only what every commit of the module has."""
    from prefect.testing.utilities import prefect_test_harness

    from bench.activation import admin, start

    with ExitStack() as stack:
        stack.enter_context(prefect_test_harness(server_startup_timeout=120))
        base_url = start(stack)  # the sandbox on loopback and the client's settings
        admin(base_url, "PUT", "/throttle", {"quotas": "live"})
        os.environ["AMAZON_PAY_QUOTAS"] = "live"
        os.environ["AMAZON_PAYMENTS_DATABASE_URL"] = database_url
        from adapters.erp.migrate import upgrade
        from services import sweep

        res = resources()
        upgrade(res.engine)
        numbers = [f"OD{n:06d}" for n in range(pending)]
        failures: list[BaseException] = []
        arrivals = threading.Thread(
            target=contextvars.copy_context().run,  # the harness's API URL is a context value
            args=(arrive, base_url, numbers, arrival, failures),
            daemon=True,
        )
        started = time.monotonic()
        arrivals.start()
        sweeps = sweep_until_settled(res, arrivals, interval)
        if failures:
            raise SystemExit(f"arrivals failed: {failures[0]!r}")
        figures = lags(res, interval) | run_lags(res, interval)
        figures |= {
            "code": str(Path(sweep.__file__).resolve().parent.parent),
            "pending": pending,
            "arrival_seconds": arrival,
            "sweep_interval_seconds": interval,
            "seconds": round(time.monotonic() - started, 1),
            "sweeps": len(sweeps),
            "longest_sweep_seconds": round(max(sweeps), 1),
        }
        res.close()
        return figures


def resources() -> Any:
    from adapters.amazon_pay import AmazonPayClient
    from adapters.erp.store import make_engine
    from adapters.prefect_runs import PrefectRuns
    from adapters.settings import AmazonPaySettings, ModuleSettings
    from services.resources import Resources

    settings = ModuleSettings()
    client = AmazonPayClient.from_settings(AmazonPaySettings())
    return Resources(make_engine(settings.database_url), client, settings, runs=PrefectRuns())


def arrive(
    base_url: str, numbers: list[str], arrival: float, failures: list[BaseException]
) -> None:
    """Each order placed and authorized at its moment (Amazon answers AuthorizationInitiated);
    a failure ends the arrivals and is handed back in `failures`."""
    try:
        place_and_authorize(base_url, numbers, arrival)
    except BaseException as exc:  # the sweeper's thread reports it
        failures.append(exc)


def place_and_authorize(base_url: str, numbers: list[str], arrival: float) -> None:
    from prefect import flow, get_client
    from prefect.states import Suspended

    from bench.pending import place_orders
    from domain.payment_status import Status
    from services import authorization

    @flow(name="authorize")
    def waiting() -> None:
        """Stands for the deployed `authorize` run that suspended itself."""

    res = resources()
    timeout = res.settings.authorization_timeout
    first = time.monotonic()
    with get_client(sync_client=True) as prefect:
        for i, number in enumerate(numbers):
            time.sleep(max(0.0, first + i * arrival / len(numbers) - time.monotonic()))
            place_orders(res.engine, base_url, [number], CARD)
            outcome = authorization.authorize(res, number)
            if outcome.status is not Status.PENDING:
                raise SystemExit(f"{number}: authorize ended {outcome.status}, not pending")
            run = prefect.create_flow_run(waiting, name=f"authorize-{number}", state=Suspended())
            authorization.await_answer(res, number, str(run.id), datetime.now(UTC) + timeout)
    res.close()


def sweep_until_settled(res: Any, arrivals: threading.Thread, interval: float) -> list[float]:
    """Sweeps every `interval` seconds (later when one overruns) until none is pending."""
    from services import sweep

    durations: list[float] = []
    next_start = time.monotonic()
    while True:
        time.sleep(max(0.0, next_start - time.monotonic()))
        began = time.monotonic()
        sweep.sweep_once(res, 5000)
        durations.append(time.monotonic() - began)
        print(f"sweep {len(durations)}: {durations[-1]:.1f} s", file=sys.stderr, flush=True)
        next_start = began + interval
        if not arrivals.is_alive() and pending_count(res) == 0:
            return durations


def pending_count(res: Any) -> int:
    from sqlalchemy import func, select

    from adapters.erp.schema import DocumentRow

    with res.uow() as uow:
        query = select(func.count()).where(DocumentRow.payment_status == "pending")
        return int(uow.session.scalar(query) or 0)


def lags(res: Any, interval: float) -> dict[str, Any]:
    """Seconds from each document's timeout to the moment it was marked overdue."""
    from sqlalchemy import func, select

    from adapters.erp.schema import AmazonCallRow, DocumentRow, StatusEventRow

    timeout = timedelta(seconds=res.settings.authorization_timeout_seconds)
    with res.uow() as uow:
        rows = uow.session.execute(
            select(DocumentRow.created_at, StatusEventRow.created_at)
            .join(StatusEventRow, StatusEventRow.document_id == DocumentRow.id)
            .where(StatusEventRow.to_status == "authorization_overdue")
            .where(StatusEventRow.applied.is_(True))
        ).all()
        polls = uow.session.scalar(
            select(func.count()).where(AmazonCallRow.operation == "get_charge")
        )
    late = sorted((marked - (created + timeout)).total_seconds() for created, marked in rows)
    return {
        "overdue": len(late),
        "lag_median_seconds": round(statistics.median(late), 1) if late else None,
        "lag_max_seconds": round(late[-1], 1) if late else None,
        "within_one_interval": sum(1 for s in late if s <= interval),
        "get_charge_calls": int(polls or 0),
    }


def run_lags(res: Any, interval: float) -> dict[str, Any]:
    """Seconds from each document's timeout to the moment its waiting run was ended Overdue."""
    from prefect import get_client
    from sqlalchemy import select

    from adapters.erp.schema import DocumentRow

    timeout = timedelta(seconds=res.settings.authorization_timeout_seconds)
    with res.uow() as uow:
        rows = uow.session.execute(select(DocumentRow.number, DocumentRow.created_at))
        created = {number: at for number, at in rows}
    late: list[float] = []
    names: dict[str, int] = {}
    with get_client(sync_client=True) as client:
        runs = [
            run
            for offset in range(0, len(created) + 200, 200)  # the API's page is at most 200
            for run in client.read_flow_runs(limit=200, offset=offset)
        ]
        for run in runs:
            number = run.name.removeprefix("authorize-")
            if number not in created or run.state is None:
                continue
            name = run.state.name or run.state.type.value
            names[name] = names.get(name, 0) + 1
            if name == "Overdue":
                late.append((run.state.timestamp - (created[number] + timeout)).total_seconds())
    late.sort()
    return {
        "runs_by_state": names,
        "run_lag_median_seconds": round(statistics.median(late), 1) if late else None,
        "run_lag_max_seconds": round(late[-1], 1) if late else None,
        "runs_within_one_interval": sum(1 for s in late if s <= interval),
    }


def spawn(tree: Path, args: argparse.Namespace, database: str, log: Path) -> subprocess.Popen[str]:
    """This script's `--one` mode on the code in `tree`, in a process of its own."""
    from deployments.cluster import POSTGRES, ensure_database

    ensure_database(database, fresh=True)
    env = os.environ | {"PYTHONPATH": str(tree), "PREFECT_LOGGING_LEVEL": "WARNING"}
    command = [sys.executable, str(Path(__file__).resolve()), "--one",
               "--pending", str(args.pending), "--arrival", str(args.arrival),
               "--interval", str(args.interval),
               "--database-url", f"postgresql+psycopg://{POSTGRES}/{database}"]  # fmt: skip
    return subprocess.Popen(
        command, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=log.open("w"), text=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=1000)
    parser.add_argument("--arrival", type=float, default=600.0, help="seconds of arrivals")
    parser.add_argument("--interval", type=float, default=120.0, help="seconds between sweeps")
    parser.add_argument("--baseline-tree", type=Path, help="an earlier commit's checkout")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.pending, args.arrival, args.interval, args.database_url)))
        return

    from deployments.cluster import drop_database

    trees = {"current": ROOT} | ({"baseline": args.baseline_tree} if args.baseline_tree else {})
    folder = Path(tempfile.mkdtemp(prefix="overdue-bench-"))
    tag = uuid.uuid4().hex[:8]
    print(f"{datetime.now(UTC):%H:%M:%S} logs in {folder}", file=sys.stderr)
    runs = {
        name: spawn(tree.resolve(), args, f"amazon_payments_overdue_{name}_{tag}",
                    folder / f"{name}.log")
        for name, tree in trees.items()
    }  # fmt: skip
    results: dict[str, Any] = {}
    try:
        for name, process in runs.items():
            out, _ = process.communicate()
            if process.returncode != 0:
                raise SystemExit(f"{name} failed ({process.returncode}): see {folder}")
            results[name] = json.loads(out.strip().splitlines()[-1])
    finally:
        for name in runs:
            drop_database(f"amazon_payments_overdue_{name}_{tag}")
    for name, figures in results.items():
        print(f"{name:9s} {json.dumps(figures)}")
    if "baseline" in results:
        current, baseline = results["current"], results["baseline"]
        for key in ("lag_max_seconds", "get_charge_calls", "longest_sweep_seconds"):
            if current[key] and baseline[key]:
                print(f"{key}: {current[key] / baseline[key]:.2f}x the baseline")
    print(json.dumps(results))


if __name__ == "__main__":
    main()

"""Authorization waits that cost no process: the deployed `authorize` run suspends itself.

The deployment is served by a real `serve` process against the session's Prefect server (the
test harness); each flow run is a process of its own, as under a worker. The sandbox clock is
advanced so Amazon decides; the notification service and the sweeper are called as the
receiver and the `sync` run call them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL

from adapters.erp.store import UnitOfWork
from adapters.prefect_runs import PrefectRuns
from domain.payment_status import Status
from services import authorization, notifications, sweep
from services.resources import Resources
from tests.orders.conftest import place_order, status

REPO = Path(__file__).resolve().parents[2]
SLOW = "Visa ****0701"  # AuthorizationInitiated, Authorized after the sandbox's async delay
SERVE = (
    "from prefect import serve\n"
    "from flows.orders import authorize\n"
    "serve(authorize.to_deployment(name='authorize'))\n"
)


@pytest.fixture
def served(flow_env) -> Iterator[subprocess.Popen[bytes]]:
    """The `authorize` deployment served by its own process, polling every second."""
    env = os.environ | {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "AMAZON_PAY_LIMITER": "local",  # the harness server has no Amazon quota limits
    }
    process = subprocess.Popen([sys.executable, "-c", SERVE], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)  # fmt: skip
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def runs_res(res: Resources) -> Resources:
    """The test's resources with the Prefect runs of the session's server."""
    return Resources(res.engine, res.amazon, res.settings, runs=PrefectRuns())


def start(number: str, timeout_seconds: float = 900) -> UUID:
    """Start the deployment for a document; the served process picks it up."""
    for _ in range(60):  # serve registers the deployment a moment after it started
        try:
            run = run_deployment(
                "authorize/authorize",
                parameters={"number": number, "timeout_seconds": timeout_seconds},
                timeout=0,
            )
            return run.id
        except Exception:
            time.sleep(1)
    raise AssertionError("the authorize deployment never appeared")


def read(run_id: UUID) -> FlowRun:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id)


def wait_for(run_id: UUID, done, seconds: float = 90, strict_final: bool = False) -> FlowRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = read(run_id)
        if run.state and done(run):
            return run
        if run.state and run.state.is_final() and not (strict_final and run.state.is_crashed()):
            raise AssertionError(f"run {run_id} ended {run.state}")
        time.sleep(0.25)
    raise AssertionError(f"run {run_id} still {read(run_id).state}")


def suspended(run_id: UUID) -> FlowRun:
    run = wait_for(run_id, lambda r: r.state.is_paused())
    assert run.state.name == "Suspended"
    return run


def ended(run_id: UUID) -> FlowRun:
    return wait_for(run_id, lambda r: r.state.is_final())


def waiting_run(res: Resources, number: str) -> str | None:
    with UnitOfWork(res.engine) as uow:
        wait = uow.waits.of(number)
    return wait.flow_run_id if wait else None


def charge_of(res: Resources, number: str) -> str:
    with UnitOfWork(res.engine) as uow:
        case = uow.cases.get(number)
    assert case is not None and case.latest_charge is not None
    return case.latest_charge.amazon_id


def log_lines(run_id: UUID) -> list[str]:
    """The run's log, oldest first, once it holds the line naming the deadline (logs are sent
    by the run's process in the background)."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import LogSort

    only = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id]))
    for _ in range(40):
        with get_client(sync_client=True) as client:
            lines = [log.message for log in client.read_logs(only, sort=LogSort.TIMESTAMP_ASC)]
        if any("overdue at" in line for line in lines):
            break
        time.sleep(0.25)
    return lines


def test_a_notified_authorization_resumes_its_suspended_run_which_ends_accepted(
    served, runs_res, amazon
):
    place_order(runs_res, amazon, "HB1", paymentDescriptor=SLOW)
    run_id = start("HB1")
    suspended(run_id)
    assert waiting_run(runs_res, "HB1") == str(run_id)
    assert status(runs_res, "HB1") is Status.PENDING

    amazon.advance(minutes=1)  # Amazon decides; its notification names the charge
    notifications.reconcile_object(runs_res, "Charge", charge_of(runs_res, "HB1"))
    assert status(runs_res, "HB1") is Status.ACCEPTED
    assert not read(run_id).state.is_paused()  # resumed at once

    run = ended(run_id)
    assert run.state.is_completed() and run.state.name == "Accepted"
    sweep.sweep_once(runs_res, 100)  # the sweep sees the run ended and forgets the wait
    assert waiting_run(runs_res, "HB1") is None


def test_a_manual_authorize_resumes_the_waiting_run_once_amazon_decided(served, runs_res, amazon):
    place_order(runs_res, amazon, "HB4", paymentDescriptor=SLOW)
    run_id = start("HB4")
    suspended(run_id)
    early = authorization.authorize_by_hand(runs_res, "HB4")  # Amazon has not decided yet
    assert early.status is Status.PENDING
    assert read(run_id).state.is_paused()  # still waiting: nothing to resume it with

    amazon.advance(minutes=1)
    outcome = authorization.authorize_by_hand(runs_res, "HB4")
    assert outcome.status is Status.ACCEPTED
    assert any("resumed with accepted" in note for note in outcome.notes), outcome.notes
    assert not read(run_id).state.is_paused()
    assert ended(run_id).state.name == "Accepted"


def test_the_sweepers_poll_resumes_the_run_and_a_timeout_ends_it_overdue_without_a_process(
    served, runs_res, amazon
):
    place_order(runs_res, amazon, "HB2", paymentDescriptor=SLOW)
    place_order(runs_res, amazon, "HB3", paymentDescriptor="Visa ****0720")  # 20 min at Amazon
    polled, late = start("HB2"), start("HB3", timeout_seconds=1)
    suspended(polled)
    suspended(late)
    lines = log_lines(late)
    assert lines[-1].startswith("HB3: suspended while Amazon decides"), lines
    assert "overdue at" in lines[-1]

    amazon.advance(minutes=1)  # HB2 is decided at Amazon; HB3 is not (20 minutes)
    timed_out = Resources(runs_res.engine, runs_res.amazon,
                          runs_res.settings.model_copy(update={"authorization_timeout_seconds": 1}),
                          runs=runs_res.runs)  # fmt: skip
    time.sleep(1.1)
    results = sweep.sweep_once(timed_out, 100)
    assert status(runs_res, "HB2") is Status.ACCEPTED
    assert status(runs_res, "HB3") is Status.AUTHORIZATION_OVERDUE
    settled = results["timed_out"]  # both past the timeout: asked once more, runs released
    assert set(settled) == {"HB2", "HB3"}
    assert any("resumed with accepted" in note for note in settled["HB2"].notes), settled
    assert any("ended Overdue" in note for note in settled["HB3"].notes), settled

    overdue = read(late)  # ended by the sweeper: no process ran it again
    assert overdue.state.is_completed() and overdue.state.name == "Overdue"
    assert overdue.run_count == 1
    assert waiting_run(runs_res, "HB3") is None
    accepted = ended(polled)
    assert accepted.state.name == "Accepted"


def test_a_run_that_crashes_after_resuming_is_healed_by_the_next_sweep(served, runs_res, amazon):
    place_order(runs_res, amazon, "HB4", paymentDescriptor=SLOW)
    run_id = start("HB4")
    suspended(run_id)
    # the suspended run's process exits a moment after the server shows it Suspended
    assert gone(run_processes(served.pid, run_id))
    amazon.advance(minutes=1)
    sweep.sweep_once(runs_res, 100)  # polls, applies Accepted, resumes the run
    assert status(runs_res, "HB4") is Status.ACCEPTED

    killed = kill_run_process(served.pid, run_id)  # the resumed run's process dies
    crashed = ended(run_id)
    assert killed and crashed.state.is_crashed()
    assert waiting_run(runs_res, "HB4") == str(run_id)

    sweep.sweep_once(runs_res, 100)  # retried: it starts from the top, finds HB4 decided
    healed = wait_for(run_id, lambda r: r.state.is_completed(), strict_final=True)
    assert healed.state.name == "Accepted"
    sweep.sweep_once(runs_res, 100)
    assert waiting_run(runs_res, "HB4") is None


def run_processes(root: int, run_id: UUID) -> Callable[[], list[int]]:
    """The processes under `root` that run `run_id` (by the engine's environment variable)."""
    marker = f"PREFECT__FLOW_RUN_ID={run_id}".encode()

    def find() -> list[int]:
        found = []
        for pid in descendants(root):
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            if marker in environ.split(b"\0"):
                found.append(pid)
        return found

    return find


def gone(find: Callable[[], list[int]], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while find():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def kill_run_process(root: int, run_id: UUID, seconds: float = 60) -> bool:
    """SIGKILL the flow-run process the serve process started for `run_id`, once it exists."""
    find = run_processes(root, run_id)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for pid in find():
            os.kill(pid, signal.SIGKILL)
            return True
        time.sleep(0.05)
    return False


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found

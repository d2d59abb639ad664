"""A real process killed after Amazon committed but before our commit, then re-run.

The sandbox holds its answer back after committing (injected latency after commit), the test
kills the waiting `amazon-payments` process with SIGKILL, and the re-run must heal the document
by repeating the call with the same idempotency key: never a second charge, capture or refund.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from adapters.erp.schema import AmazonCallRow
from adapters.erp.store import UnitOfWork
from domain.payment_status import Status
from services import activation, authorization
from tests.orders.conftest import credit_note, document, place_order, status

CLI = str(Path(sys.executable).parent / "amazon-payments")


def kill_after_amazon_committed(cli_env, amazon, args, committed) -> None:
    """Start the command, wait until the sandbox shows the change, then SIGKILL the process."""
    process = subprocess.Popen(
        [CLI, *args], env={**os.environ, **cli_env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    try:
        while not committed(amazon.ledger()):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the sandbox never saw the call"
            time.sleep(0.05)
        assert process.poll() is None, "the process got its answer before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def rerun(cli_env, *args) -> str:
    done = subprocess.run(
        [CLI, *args], env={**os.environ, **cli_env}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def calls(res, operation):
    with UnitOfWork(res.engine) as uow:
        rows = uow.session.scalars(
            select(AmazonCallRow).where(AmazonCallRow.operation == operation)
        )
        return [(row.idempotency_key, row.answered_at is not None) for row in rows]


def hold_answers(amazon, operation: str) -> None:
    amazon.admin("PUT", "/faults", {"latencyAfterCommitMs": 6_000, "operations": [operation]})


def release(amazon) -> None:
    amazon.admin("PUT", "/faults", {})


def test_a_capture_killed_before_our_commit_is_healed_without_a_second_capture(
    res, amazon, cli_env
):
    place_order(res, amazon, "HB1")
    authorization.authorize(res, "HB1")
    hold_answers(amazon, "Capture Charge")
    captured = lambda ledger: ledger["counts"]["captures"] == 1  # noqa: E731
    kill_after_amazon_committed(cli_env, amazon, ["orders", "activate", "HB1"], captured)
    assert status(res, "HB1") is Status.ACTIVATION_REQUESTED
    assert calls(res, "capture_charge") == [("cap-HB1-1", False)]
    release(amazon)
    # The re-run repeats the open call with its key; Amazon answers with the capture it made.
    assert "HB1: activated" in rerun(cli_env, "orders", "activate", "HB1")
    assert document(res, "HB1").payment.captured == document(res, "HB1").gross_total
    assert calls(res, "capture_charge") == [("cap-HB1-1", True)]
    assert amazon.ledger()["counts"]["captures"] == 1


def test_a_charge_killed_before_our_commit_is_healed_without_a_second_charge(res, amazon, cli_env):
    place_order(res, amazon, "HB1")
    hold_answers(amazon, "Create Charge")
    created = lambda ledger: ledger["counts"]["charges"] == 1  # noqa: E731
    kill_after_amazon_committed(cli_env, amazon, ["orders", "authorize", "HB1"], created)
    assert status(res, "HB1") is Status.PENDING
    release(amazon)
    assert "HB1: accepted" in rerun(cli_env, "orders", "authorize", "HB1")
    assert calls(res, "create_charge") == [("chg-HB1-1", True)]
    assert amazon.ledger()["counts"]["charges"] == 1


def test_a_refund_killed_before_our_commit_is_healed_without_a_second_refund(res, amazon, cli_env):
    place_order(res, amazon, "HB1", price="95.10")
    authorization.authorize(res, "HB1")
    activation.activate(res, "HB1")
    credit_note(res, "GS1", "HB1", "40.00")
    hold_answers(amazon, "Create Refund")
    refunded = lambda ledger: ledger["counts"]["refunds"] == 1  # noqa: E731
    kill_after_amazon_committed(cli_env, amazon, ["orders", "refund", "GS1"], refunded)
    release(amazon)
    rerun(cli_env, "orders", "refund", "GS1")
    amazon.advance(minutes=1)
    assert "partially_refunded" in rerun(cli_env, "orders", "refund", "GS1")
    assert calls(res, "create_refund") == [("ref-GS1-1", True)]
    assert amazon.ledger()["counts"]["refunds"] == 1

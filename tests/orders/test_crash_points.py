"""Killed after its k-th commit or its k-th answer from Amazon, for every k, then run again.

For each order process the command runs in a real process that is SIGKILLed at the exact
point; then the same command runs again (or the sweeper does), and the store must show exactly
what the sandbox's ledger holds for the document: the same charges and refunds in the same
states, the same captured and refunded money to the cent, and never a second charge, capture
or refund. k counts up until a run finishes before its k-th event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from adapters.erp.schema import AmazonRefRow, DocumentRow
from adapters.erp.store import UnitOfWork
from domain.payment_status import Status
from services import activation, authorization, refunds
from tests.orders.conftest import credit_note, place_order, status
from tests.orders.crash import KILLED, POINTS, run_cli

MAX_K = 20


@dataclass(frozen=True)
class Scenario:
    """A process: how to bring a fresh order to its start, and the command that runs it."""

    prepare: Callable[..., str]  # (res, amazon, order number) -> the command's document
    command: str
    expected: Status  # the order's status once the command has run to its end
    charges: int = 1
    captures: int = 0
    refunds: int = 0


def _accepted(res, amazon, number) -> None:
    place_order(res, amazon, number, price="95.10")
    assert authorization.authorize(res, number).status is Status.ACCEPTED


def _pending(res, amazon, number) -> str:
    place_order(res, amazon, number, price="95.10")
    return number


def _to_activate(res, amazon, number) -> str:
    _accepted(res, amazon, number)
    return number


def _to_refund(res, amazon, number) -> str:
    _accepted(res, amazon, number)
    assert activation.activate(res, number).status is Status.ACTIVATED
    credit_note(res, f"GS{number}", number, "40.00")
    return f"GS{number}"


def _refund_completed(res, amazon, number) -> str:
    note = _to_refund(res, amazon, number)
    assert refunds.refund(res, note).status is Status.ACTIVATED  # RefundInitiated
    amazon.advance(minutes=1)  # Amazon has refunded; the next run finds out
    return note


SCENARIOS = {
    "authorize": Scenario(_pending, "authorize", Status.ACCEPTED),
    "activate": Scenario(_to_activate, "activate", Status.ACTIVATED, captures=1),
    "refund-create": Scenario(_to_refund, "refund", Status.ACTIVATED, captures=1, refunds=1),
    "refund-complete": Scenario(
        _refund_completed, "refund", Status.PARTIALLY_REFUNDED, captures=1, refunds=1
    ),
    "cancel": Scenario(_to_activate, "cancel", Status.CANCELLED),
}


def store_view(res, order: str) -> dict:
    """What the store says about an order: its Amazon objects, states and money."""
    with UnitOfWork(res.engine) as uow:
        row = uow.session.scalars(select(DocumentRow).where(DocumentRow.number == order)).one()
        notes = select(DocumentRow.id).where(DocumentRow.refers_to == order)
        refs = uow.session.scalars(
            select(AmazonRefRow).where(
                (AmazonRefRow.document_id == row.id) | AmazonRefRow.document_id.in_(notes)
            )
        ).all()
        by_kind = {
            kind: {ref.amazon_id: ref.state for ref in refs if ref.kind == kind}
            for kind in ("charge", "refund")
        }
        permission = next(ref.amazon_id for ref in refs if ref.kind == "charge_permission")
        return {
            "permission": permission,
            "status": row.payment_status,
            "captured": row.captured_minor,
            "refunded": row.refunded_minor,
            **by_kind,
        }


def minor(price: dict | None) -> int:
    return 0 if price is None else int(Decimal(price["amount"]) * 100)  # EUR only, in tests


def ledger_view(ledger: dict, permission: str) -> dict:
    """What the sandbox holds for one charge permission, in the store's terms."""
    charges = [c for c in ledger["charges"] if c["chargePermissionId"] == permission]
    charge_ids = {c["chargeId"] for c in charges}
    refunds = [r for r in ledger["refunds"] if r["chargeId"] in charge_ids]
    state = lambda obj: obj["statusDetails"]["state"]  # noqa: E731
    return {
        "charge": {c["chargeId"]: state(c) for c in charges},
        "refund": {r["refundId"]: state(r) for r in refunds},
        "captured": sum(minor(c.get("captureAmount")) for c in charges if state(c) == "Captured"),
        "refunded": sum(minor(r["refundAmount"]) for r in refunds if state(r) == "Refunded"),
    }


def assert_store_matches_amazon(res, amazon, order: str, scenario: Scenario) -> None:
    store = store_view(res, order)
    held = ledger_view(amazon.ledger(), store["permission"])
    for field in ("charge", "refund", "captured", "refunded"):
        assert store[field] == held[field], f"{order}: {field} differs from Amazon's"
    assert len(held["charge"]) == scenario.charges, f"{order}: charges at Amazon"
    captures = sum(state == "Captured" for state in held["charge"].values())
    assert captures == scenario.captures, f"{order}: captures at Amazon"
    assert len(held["refund"]) == scenario.refunds, f"{order}: refunds at Amazon"


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_run_killed_at_any_point_and_run_again_matches_amazon(name, point, res, amazon, cli_env):
    scenario = SCENARIOS[name]
    for k in range(1, MAX_K + 1):
        order = f"K{k}"
        target = scenario.prepare(res, amazon, order)
        args = ["orders", scenario.command, target]
        killed = run_cli(args, cli_env, kill_at=(point, k))
        if killed.code != KILLED:
            assert killed.code == 0, killed.output
            break  # the run has fewer than k such points: all were tried
        again = run_cli(args, cli_env)
        assert again.code == 0, f"k={k}: {again.output}"
        assert status(res, order) is scenario.expected, f"k={k}: {again.output}"
        assert_store_matches_amazon(res, amazon, order, scenario)
    else:
        pytest.fail(f"{name} still had a {point} after {MAX_K}")
    assert k > 1, f"{name} never reached a {point}"


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_run_killed_after_any_commit_is_healed_by_the_sweeper(
    name, res, amazon, cli_env, flow_env
):
    """An answer-kill leaves the same open call as the commit-kill before it: commits suffice."""
    from flows.sync import sync

    scenario = SCENARIOS[name]
    for k in range(1, MAX_K + 1):
        order = f"S{k}"
        target = scenario.prepare(res, amazon, order)
        killed = run_cli(["orders", scenario.command, target], cli_env, kill_at=("commit", k))
        if killed.code != KILLED:
            break
        summary = sync()
        assert summary["errors"] == 0, summary
        assert status(res, order) is scenario.expected, f"k={k}: {summary}"
        assert_store_matches_amazon(res, amazon, order, scenario)
    assert k > 1, f"{name} never reached a commit"

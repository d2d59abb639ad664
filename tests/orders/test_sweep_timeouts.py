"""The sweep settles authorizations past their timeout first, those timing out meanwhile too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from adapters.erp.schema import DocumentRow
from domain.payment_status import Status
from services import authorization, sweep
from tests.orders.conftest import place_order, status

SLOW = "Visa ****0720"  # the sandbox decides it after 20 minutes


def age(res, number: str, minutes: int) -> None:
    """Make the document `minutes` old (its authorization timeout counts from its creation)."""
    created = datetime.now(UTC) - timedelta(minutes=minutes)
    with res.uow() as uow:
        uow.session.execute(
            update(DocumentRow).where(DocumentRow.number == number).values(created_at=created)
        )
        uow.commit()


def test_timed_out_authorizations_come_first_and_one_timing_out_meanwhile_is_not_left(res, amazon):
    for number in ("HB1", "HB2", "HB3"):
        place_order(res, amazon, number, paymentDescriptor=SLOW)
        assert authorization.authorize(res, number).status is Status.PENDING
    age(res, "HB1", 16)
    steps: list[tuple[str, list[str]]] = []

    def run(use_case, res, numbers):
        steps.append((use_case.__name__, list(numbers)))
        if use_case is authorization.time_out and numbers == ["HB1"]:
            age(res, "HB2", 15)  # its timeout passes while the sweep settles HB1
        return sweep.sequential(use_case, res, numbers)

    results = sweep.sweep_once(res, 100, run)
    assert steps[:3] == [("heal", []), ("time_out", ["HB1"]), ("time_out", ["HB2"])]
    assert set(results["timed_out"]) == {"HB1", "HB2"}
    assert status(res, "HB1") is Status.AUTHORIZATION_OVERDUE
    assert status(res, "HB2") is Status.AUTHORIZATION_OVERDUE
    assert status(res, "HB3") is Status.PENDING  # young: polled, Amazon has not decided
    assert "HB3" in results["poll"]

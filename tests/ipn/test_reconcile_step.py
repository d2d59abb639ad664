"""The CLI's reconcile step asks OrderSteps once; OrderSteps looks up the owner, not the CLI."""

from __future__ import annotations

import logging

from adapters.ipn import Notification
from cli.ipn import reconcile_with
from domain.payment_status import Status


class Steps:
    """Stands in for OrderSteps: answers None (not ours) unless it knows the object."""

    def __init__(self, ours: dict[str, Status]) -> None:
        self.ours = ours
        self.calls: list[tuple[str, str]] = []

    def reconcile_object(self, object_type: str, object_id: str) -> Status | None:
        self.calls.append((object_type, object_id))
        return self.ours.get(object_id)


def notice(object_type: str, object_id: str) -> Notification:
    return Notification(object_type, object_id, None, "STATE_CHANGE", f"m-{object_id}")


def test_a_notification_is_reconciled_through_order_steps_alone():
    steps = Steps({"S02-1-1-C001": Status.ACTIVATED})
    reconcile_with(lambda: steps)(notice("CHARGE", "S02-1-1-C001"))
    assert steps.calls == [("CHARGE", "S02-1-1-C001")]


def test_an_object_that_is_not_ours_is_logged_and_left_alone(caplog):
    steps = Steps({})
    with caplog.at_level(logging.INFO, logger="cli.ipn"):
        reconcile_with(lambda: steps)(notice("REFUND", "S02-9-9-R009"))
    assert steps.calls == [("REFUND", "S02-9-9-R009")]  # one lookup, inside reconcile_object
    assert "REFUND S02-9-9-R009 is not ours" in caplog.text

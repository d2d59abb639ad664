"""The open items: what needs a person, from the real store, and on the command line."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.payment_status import Event, Status
from services import authorization
from services.open_items import list_open_items
from tests.orders.conftest import apply, place_order

SLOW = "Visa ****0701"
CLI = str(Path(sys.executable).parent / "amazon-payments")


def test_overdue_waiting_and_declined_documents_are_open_items_with_amount_and_reason(res, amazon):
    place_order(res, amazon, "HB1", paymentDescriptor=SLOW)
    authorization.authorize(res, "HB1")
    assert authorization.mark_overdue(res, "HB1").status is Status.AUTHORIZATION_OVERDUE
    for number in ("HB2", "HB3", "HB4"):
        place_order(res, amazon, number, price="10.00", shipping="0.00")
        authorization.authorize(res, number)
    apply(res, "HB2", Event.ACTIVATION_REQUESTED)
    apply(res, "HB3", Event.ACTIVATION_REQUESTED)
    apply(res, "HB3", Event.CAPTURE_DECLINED)
    items = {item.number: item for item in list_open_items(res)}
    assert set(items) == {"HB1", "HB2", "HB3"}  # HB4 is accepted and far from expiry
    assert items["HB1"].reason.startswith("Amazon has not decided the authorization")
    assert "no answer within the timeout" in items["HB1"].reason
    assert items["HB2"].row()["amount"] == "10.00 EUR"
    assert items["HB3"].status == "capture_declined"


def test_an_authorization_two_days_from_expiry_is_an_open_item(res, amazon):
    place_order(res, amazon, "HB5")
    authorization.authorize(res, "HB5")
    assert list_open_items(res) == []
    later = datetime.now(UTC) + timedelta(days=28, minutes=1)
    [item] = list_open_items(res, now=later)
    assert item.number == "HB5" and "the authorization expires" in item.reason


def test_the_command_prints_the_open_items_as_json(res, amazon, cli_env):
    place_order(res, amazon, "HB6", paymentDescriptor=SLOW)
    authorization.authorize(res, "HB6")
    authorization.mark_overdue(res, "HB6")
    env = {**os.environ, **cli_env}
    run = subprocess.run([CLI, "open-items", "--json"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [row["number"] for row in rows] == ["HB6"]
    assert rows[0]["status"] == "authorization_overdue" and rows[0]["amount"] == "44.90 EUR"

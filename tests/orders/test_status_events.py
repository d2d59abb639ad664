"""Every applied status change becomes an event after its commit (never for a rollback)."""

import time

from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

from adapters.events import payload
from domain.payment_status import Event, Status
from flows import orders
from services import activation, authorization
from services.resources import Resources
from tests.orders.conftest import apply, place_order


def test_applied_changes_are_published_after_their_commit_with_amounts(res, amazon):
    published = []
    watched = Resources(res.engine, res.amazon, res.settings, publish=published.extend)
    place_order(watched, amazon, "HB1", price="95.10")
    assert authorization.authorize(watched, "HB1").status is Status.ACCEPTED
    apply(watched, "HB1", Event.ACTIVATION_REQUESTED)
    assert activation.activate(watched, "HB1").status is Status.ACTIVATED
    moves = [(change.before, change.after) for change in published]
    assert moves == [
        ("pending", "accepted"),
        ("accepted", "activation_requested"),
        ("activation_requested", "activated"),
    ]
    captured = payload(published[-1])
    assert captured["amount"] == captured["captured"] == "100.00"
    assert captured["currency"] == "EUR" and "erika" not in str(captured)


def test_a_change_that_is_rolled_back_is_not_published(res, amazon):
    published = []
    watched = Resources(res.engine, res.amazon, res.settings, publish=published.extend)
    place_order(watched, amazon, "HB2")
    with watched.uow() as uow:
        document = uow.documents.get("HB2")
        document.payment, transition = document.payment.apply(Event.AUTHORIZED)
        uow.documents.save_payment("HB2", document, transition)
        uow.session.flush()
    assert published == []


def test_a_flow_run_emits_the_change_to_prefects_event_feed(flow_env, res, amazon):
    place_order(res, amazon, "HB3", price="95.10")
    assert orders.authorize("HB3", return_state=True).name == "Accepted"
    wanted = EventFilter(
        event=EventNameFilter(name=["amazon-payments.document.accepted"]),
        resource=EventResourceFilter(id=["amazon-payments.document.HB3"]),
    )
    found = []
    deadline = time.monotonic() + 30  # the server stores events in batches
    with get_client(sync_client=True) as client:
        while not found and time.monotonic() < deadline:
            found = client.read_events(filter=wanted, limit=50).events
            time.sleep(0.5)
    assert len(found) == 1
    assert found[0].payload["from"] == "pending" and found[0].payload["amount"] == "100.00"

"""An authorization that lapsed is renewed, and the lapsed charge's news, however late it
comes (its notification, a re-read by the sweeper), neither fails the document nor undoes the
renewal; the renewed charge's capture is booked. Against the real sandbox over loopback."""

from domain.money import Money
from domain.payment_status import Event, Status
from services import activation, authorization
from services.reconcile import reconcile_charge
from tests.orders.conftest import apply, document, place_order


def lapsed_order(res, amazon, number: str) -> str:
    """An accepted order whose authorization Amazon let lapse; returns the lapsed charge id."""
    place_order(res, amazon, number)
    authorization.authorize(res, number)
    (charge,) = amazon.ledger()["charges"]
    amazon.advance(days=31)
    assert charge_state(amazon, charge["chargeId"]) == ("Canceled", "ExpiredUnused")
    return charge["chargeId"]


def charge_state(amazon, charge_id: str) -> tuple[str, str | None]:
    (charge,) = [c for c in amazon.ledger()["charges"] if c["chargeId"] == charge_id]
    return charge["statusDetails"]["state"], charge["statusDetails"].get("reasonCode")


def test_the_lapse_read_twice_is_renewed_not_failed(res, amazon):
    lapsed = lapsed_order(res, amazon, "HB1")
    assert reconcile_charge(res, "HB1", lapsed) is Status.REAUTHORIZATION
    assert reconcile_charge(res, "HB1", lapsed) is Status.REAUTHORIZATION
    assert activation.activate(res, "HB1").status is Status.ACTIVATED
    assert document(res, "HB1").payment.captured == Money("44.90", "EUR")


def test_the_lapsed_charge_read_after_its_renewal_leaves_the_capture_to_the_new_one(res, amazon):
    lapsed = lapsed_order(res, amazon, "HB1")
    reconcile_charge(res, "HB1", lapsed)
    assert authorization.authorize(res, "HB1").status is Status.ACCEPTED  # a new charge
    assert apply(res, "HB1", Event.ACTIVATION_REQUESTED) is Status.ACTIVATION_REQUESTED
    # the lapse's notification arrives now, after the renewal: it is history
    assert reconcile_charge(res, "HB1", lapsed) is Status.ACTIVATION_REQUESTED
    assert activation.activate(res, "HB1").status is Status.ACTIVATED
    assert document(res, "HB1").payment.captured == Money("44.90", "EUR")
    charges = amazon.ledger()["charges"]
    assert [c["statusDetails"]["state"] for c in charges] == ["Canceled", "Captured"]

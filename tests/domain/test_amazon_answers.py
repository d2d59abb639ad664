"""Amazon's states mapped to payment events: every terminal state, and our own cancels."""

from domain.amazon_answers import charge_answer, refund_answer
from domain.money import Money
from domain.payment_status import Event, Status


def test_our_own_cancel_is_no_news_but_amazons_lapse_needs_a_new_authorization():
    assert charge_answer(Status.ACCEPTED, "Canceled", "MerchantCanceled", None).event is None
    lapsed = charge_answer(Status.ACCEPTED, "Canceled", "ExpiredUnused", None)
    assert lapsed.event is Event.AUTHORIZATION_EXPIRED
    assert charge_answer(Status.PENDING, "Canceled", "AmazonCanceled", None).event is Event.DECLINED
    assert charge_answer(Status.CAPTURE_PENDING, "Declined", "AmazonRejected", None).event is (
        Event.CAPTURE_DECLINED
    )


def test_every_charge_state_maps_and_an_unknown_one_is_refused():
    import pytest

    captured = charge_answer(Status.ACTIVATION_REQUESTED, "Captured", None, Money("5.00", "EUR"))
    assert (captured.event, captured.amount) == (Event.CAPTURED, Money("5.00", "EUR"))
    assert charge_answer(Status.PENDING, "AuthorizationInitiated", None, None).event is None
    assert charge_answer(Status.PENDING, "Declined", "HardDeclined", None).reason.endswith(
        "HardDeclined"
    )
    with pytest.raises(ValueError, match="unknown Amazon charge state"):
        charge_answer(Status.PENDING, "Exploded", None, None)


def test_a_refund_counts_only_once_it_is_refunded():
    amount = Money("3.00", "EUR")
    assert refund_answer("RefundInitiated", None, amount).event is None
    assert refund_answer("Declined", "AmazonRejected", amount).event is None
    assert refund_answer("Refunded", None, amount).event is Event.REFUNDED


def test_a_renewed_charge_decides_nothing_but_the_money_it_moved():
    for status in (Status.ACCEPTED, Status.ACTIVATION_REQUESTED, Status.REAUTHORIZATION):
        for state, reason in (("Canceled", "ExpiredUnused"), ("Declined", "AmazonRejected")):
            answer = charge_answer(status, state, reason, None, superseded=True)
            assert answer.event is None, (status, state)
    captured = charge_answer(
        Status.ACTIVATION_REQUESTED, "Captured", None, Money("5.00", "EUR"), superseded=True
    )
    assert captured.event is Event.CAPTURED


def test_the_lapse_read_again_while_renewing_is_no_decline():
    again = charge_answer(Status.REAUTHORIZATION, "Canceled", "ExpiredUnused", None)
    assert again.event is None
    assert charge_answer(Status.REAUTHORIZATION, "Declined", "HardDeclined", None).event is (
        Event.DECLINED
    )

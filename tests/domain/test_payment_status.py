import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import Money
from domain.payment_status import (
    AMAZON_ANSWERS,
    CANCELLABLE,
    TRANSITIONS,
    Event,
    IllegalTransition,
    PaymentState,
    Status,
    refund_allowance,
)

EUR = "EUR"


def eur(value: str) -> Money:
    return Money(value, EUR)


def run(*steps):
    state = PaymentState.new(EUR)
    for step in steps:
        event, amount = step if isinstance(step, tuple) else (step, None)
        state, _ = state.apply(event, amount)
    return state


def test_a_new_document_is_pending():
    assert PaymentState.new(EUR).status is Status.PENDING


def test_authorized_order_is_accepted_then_activated_by_a_capture():
    state = run(Event.AUTHORIZED, Event.ACTIVATION_REQUESTED, (Event.CAPTURED, eur("24.80")))
    assert state.status is Status.ACTIVATED
    assert state.captured == eur("24.80")


def test_a_timeout_makes_the_document_overdue_and_a_late_answer_is_applied():
    state = run(Event.AUTHORIZATION_TIMED_OUT)
    assert state.status is Status.AUTHORIZATION_OVERDUE
    assert run(Event.AUTHORIZATION_TIMED_OUT, Event.AUTHORIZED).status is Status.ACCEPTED
    assert run(Event.AUTHORIZATION_TIMED_OUT, Event.DECLINED).status is Status.FAILED


def test_capture_initiated_waits_in_capture_pending():
    state = run(Event.AUTHORIZED, Event.ACTIVATION_REQUESTED, Event.CAPTURE_INITIATED)
    assert state.status is Status.CAPTURE_PENDING
    assert state.apply(Event.CAPTURED, eur("1.00"))[0].status is Status.ACTIVATED
    assert state.apply(Event.CAPTURE_DECLINED)[0].status is Status.CAPTURE_DECLINED


def test_an_expired_authorization_is_reauthorized():
    state = run(Event.AUTHORIZED, Event.ACTIVATION_REQUESTED, Event.AUTHORIZATION_EXPIRED)
    assert state.status is Status.REAUTHORIZATION
    assert state.apply(Event.AUTHORIZED)[0].status is Status.ACCEPTED
    assert state.apply(Event.DECLINED)[0].status is Status.FAILED


def test_partial_refund_keeps_the_rest_refundable_and_the_last_one_completes_it():
    activated = run(Event.AUTHORIZED, Event.ACTIVATION_REQUESTED, (Event.CAPTURED, eur("100.00")))
    partly, _ = activated.apply(Event.REFUNDED, eur("30.00"))
    assert partly.status is Status.PARTIALLY_REFUNDED
    full, _ = partly.apply(Event.REFUNDED, eur("70.00"))
    assert full.status is Status.REFUNDED
    assert full.refunded == eur("100.00")


def test_refunds_may_exceed_the_capture_only_by_amazons_allowance():
    activated = run(Event.AUTHORIZED, Event.ACTIVATION_REQUESTED, (Event.CAPTURED, eur("100.00")))
    assert activated.refund_ceiling() == eur("115.00")
    with pytest.raises(IllegalTransition, match="exceeds what may still be refunded"):
        activated.check_refund(eur("115.01"))
    activated.check_refund(eur("115.00"))
    after, transition = activated.apply(Event.REFUNDED, eur("115.01"))
    assert not transition.applied and after.refunded == eur("0.00")


def test_the_check_before_calling_amazon_and_amazons_answer_refuse_with_one_reason():
    activated = run(Event.AUTHORIZED, Event.ACTIVATION_REQUESTED, (Event.CAPTURED, eur("100.00")))
    partly, _ = activated.apply(Event.REFUNDED, eur("90.00"))
    with pytest.raises(IllegalTransition) as refused:
        partly.check_refund(eur("25.01"))
    _after, transition = partly.apply(Event.REFUNDED, eur("25.01"))
    assert transition.reason == str(refused.value)
    assert "exceeds what may still be refunded (25.00 EUR)" in transition.reason
    partly.check_refund(eur("25.00"))  # checking changes nothing: the state is immutable
    assert partly.refunded == eur("90.00")


def test_nothing_can_be_refunded_before_activation():
    with pytest.raises(IllegalTransition, match="nothing to refund while accepted"):
        run(Event.AUTHORIZED).check_refund(eur("1.00"))


def test_refund_allowance_is_the_smaller_of_15_percent_and_the_currency_cap():
    assert refund_allowance(eur("100.00")) == eur("15.00")
    assert refund_allowance(eur("1000.00")) == eur("75.00")
    assert refund_allowance(Money("100000", "JPY")) == Money("8400", "JPY")


def test_only_pending_accepted_or_overdue_documents_can_be_cancelled():
    assert {Status.PENDING, Status.ACCEPTED, Status.AUTHORIZATION_OVERDUE} == CANCELLABLE
    activated = run(Event.AUTHORIZED, Event.ACTIVATION_REQUESTED, (Event.CAPTURED, eur("5.00")))
    with pytest.raises(IllegalTransition, match="cancelled is not allowed while activated"):
        activated.apply(Event.CANCELLED)


def test_a_late_authorization_after_cancel_is_recorded_not_applied():
    cancelled = run(Event.CANCELLED)
    after, transition = cancelled.apply(Event.AUTHORIZED)
    assert after.status is Status.CANCELLED
    assert transition.applied is False
    assert "not allowed while cancelled" in transition.reason


def test_an_illegal_command_raises():
    with pytest.raises(IllegalTransition):
        PaymentState.new(EUR).apply(Event.ACTIVATION_REQUESTED)


def test_a_capture_needs_a_positive_amount():
    accepted = run(Event.AUTHORIZED, Event.ACTIVATION_REQUESTED)
    after, transition = accepted.apply(Event.CAPTURED, eur("0.00"))
    assert not transition.applied and after.status is Status.ACTIVATION_REQUESTED


events = st.sampled_from(list(Event))
amounts = st.integers(min_value=-500, max_value=20_000).map(lambda m: Money.from_minor(m, EUR))


@given(st.lists(st.tuples(events, st.one_of(st.none(), amounts)), max_size=40))
def test_random_event_sequences_keep_the_invariants(steps):
    state = PaymentState.new(EUR)
    seen_cancelled = seen_refunded = False
    for event, amount in steps:
        before = state
        try:
            state, transition = state.apply(event, amount)
        except IllegalTransition:
            assert event not in AMAZON_ANSWERS  # answers are recorded, never raised
            assert (before.status, event) not in TRANSITIONS or event in {
                Event.REFUNDED,
                Event.CAPTURED,
            }
            continue
        # never activated without a capture
        if state.status in {Status.ACTIVATED, Status.PARTIALLY_REFUNDED, Status.REFUNDED}:
            assert state.captured.amount > 0
        # never resurrected after cancel or full refund
        if seen_cancelled:
            assert state.status is Status.CANCELLED
        if seen_refunded:
            assert state.status is Status.REFUNDED
        seen_cancelled |= state.status is Status.CANCELLED
        seen_refunded |= state.status is Status.REFUNDED
        # refunds never exceed captures plus Amazon's allowance, and never without a capture
        assert state.refunded <= state.captured + refund_allowance(state.captured)
        assert state.refunded.amount >= 0 and state.captured.amount >= 0

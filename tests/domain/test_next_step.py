"""The order use cases' decisions, on cases built by hand (no store, no Amazon)."""

from dataclasses import replace

from domain.amazon_calls import TOTAL_RAISED, Call
from domain.documents import Customer, Document, DocumentType, Item
from domain.money import Money
from domain.next_step import (
    Apply,
    Case,
    Done,
    Mark,
    Read,
    Record,
    Ref,
    Refuse,
    Run,
    Send,
    Switches,
    activation_step,
    authorization_step,
    cancellation_step,
    refund_step,
)
from domain.payment_status import Event, PaymentState, Status

ON = Switches()


def document(total: str = "20.00", status: Status = Status.PENDING, **fields) -> Document:
    made = Document(
        number=fields.pop("number", "HB1"),
        doc_type=fields.pop("doc_type", DocumentType.ORDER),
        currency="EUR",
        items=[Item("A-1", "Mug", 1, Money(total, "EUR"))],
        shipping=Money("0.00", "EUR"),
        customer=Customer("Ada", "ada@example.com"),
        charge_permission_id=fields.pop("charge_permission_id", "P01-1"),
        **fields,
    )
    made.payment = replace(PaymentState.new("EUR"), status=status)
    return made


def charge(state: str, amount_minor: int = 2000, amazon_id: str = "C1") -> Ref:
    return Ref("charge", amazon_id, state, amount_minor)


def case(doc: Document, charges=(), refunds=(), open_calls=(), **fields) -> Case:
    return Case(doc, list(charges), list(refunds), list(open_calls), **fields)


def test_an_open_call_is_finished_before_anything_is_decided():
    call = Call(1, 1, "HB1", "capture_charge", "key", {"chargeId": "C1"})
    step = activation_step(
        case(document(status=Status.ACTIVATION_REQUESTED), open_calls=[call]), Run(), ON
    )
    assert step == Send("capture_charge", call.request, call)


def test_activation_requests_the_shipment_then_reads_the_charge_then_captures():
    accepted = case(document(status=Status.ACCEPTED), [charge("Authorized")])
    assert activation_step(accepted, Run(), ON) == Apply(Event.ACTIVATION_REQUESTED)
    requested = case(document(status=Status.ACTIVATION_REQUESTED), [charge("Authorized")])
    assert activation_step(requested, Run(), ON) == Read("charge", "C1")
    step = activation_step(requested, Run(fresh={"C1"}), ON)
    assert isinstance(step, Send) and step.operation == "capture_charge"
    assert step.request["captureAmount"] == {"amount": "20.00", "currencyCode": "EUR"}


def test_a_raised_total_cancels_the_authorization_before_capturing():
    raised = case(document("25.00", Status.ACTIVATION_REQUESTED), [charge("Authorized", 2000)])
    step = activation_step(raised, Run(fresh={"C1"}), ON)
    assert step == Send("cancel_charge", {"chargeId": "C1", "cancellationReason": TOTAL_RAISED})


def test_a_lower_total_simply_captures_less():
    lower = case(document("15.00", Status.ACTIVATION_REQUESTED), [charge("Authorized", 2000)])
    step = activation_step(lower, Run(fresh={"C1"}), ON)
    assert isinstance(step, Send) and step.request["captureAmount"]["amount"] == "15.00"


def test_a_re_authorizing_document_gets_a_new_charge_once_the_old_one_is_gone():
    lapsed = case(document(status=Status.REAUTHORIZATION), [charge("Canceled")])
    step = activation_step(lapsed, Run(acted=True, fresh={"C1"}), ON)
    assert isinstance(step, Send) and step.operation == "create_charge"


def test_activation_is_refused_unless_accepted_and_when_the_switch_is_off():
    assert isinstance(activation_step(case(document()), Run(), ON), Refuse)
    off = Switches(report_shipment=False)
    assert isinstance(activation_step(case(document(status=Status.ACCEPTED)), Run(), off), Refuse)


def test_an_outcome_reached_by_this_run_is_done_not_refused():
    declined = case(document(status=Status.CAPTURE_DECLINED), [charge("Declined")])
    assert activation_step(declined, Run(acted=True, fresh={"C1"}), ON) == Done(
        Status.CAPTURE_DECLINED
    )


def test_authorization_waits_on_a_charge_it_has_just_read():
    pending = case(document(), [charge("AuthorizationInitiated")])
    assert authorization_step(pending, Run()) == Read("charge", "C1")
    assert authorization_step(pending, Run(fresh={"C1"})) == Done(Status.PENDING)


def refunded_order(status: Status = Status.ACTIVATED) -> Case:
    shipped = document(status=status)
    shipped.payment = replace(shipped.payment, captured=Money("20.00", "EUR"))
    return case(shipped, [charge("Captured")])


def credit_note(total: str, order: Case, refunds=(), **fields) -> Case:
    made = document(total, number="CN1", doc_type=DocumentType.CREDIT_NOTE, refers_to="HB1")
    return case(made, refunds=refunds, order=order, **fields)


def test_a_partial_refund_is_sent_and_one_above_the_ceiling_is_marked_refused():
    order = refunded_order()
    step = refund_step(credit_note("5.00", order), Run(), ON)
    assert step == Send(
        "create_refund",
        {"chargeId": "C1", "refundAmount": {"amount": "5.00", "currencyCode": "EUR"}},
    )
    refused = refund_step(credit_note("500.00", order), Run(), ON)
    assert isinstance(refused, Mark) and refused.status == "refused"
    assert "exceeds what may still be refunded on HB1 (23.00 EUR)" in refused.reason


def test_a_credit_note_refused_once_is_refused_again_without_a_new_mark():
    booked = credit_note("500.00", refunded_order(), note_status="refused", reason="too much")
    assert refund_step(booked, Run(), ON) == Refuse("too much")


def test_a_refund_of_an_order_not_activated_is_refused_without_a_mark():
    step = refund_step(credit_note("500.00", refunded_order(Status.ACCEPTED)), Run(), ON)
    assert isinstance(step, Refuse) and "cannot be refunded" in step.reason


def test_amazons_final_answer_on_the_refund_is_booked_on_the_note_once():
    refunded = [Ref("refund", "R1", "Refunded", 500)]
    note = credit_note("5.00", refunded_order(Status.PARTIALLY_REFUNDED), refunded)
    assert refund_step(note, Run(), ON) == Read("refund", "R1")
    assert refund_step(note, Run(fresh={"R1"}), ON) == Mark("refunded")
    booked = replace(note, note_status="refunded")
    assert refund_step(booked, Run(fresh={"R1"}), ON) == Done(Status.PARTIALLY_REFUNDED)
    initiated = credit_note("5.00", refunded_order(), [Ref("refund", "R1", "RefundInitiated", 500)])
    assert refund_step(initiated, Run(fresh={"R1"}), ON) == Done(Status.ACTIVATED)


def test_cancellation_records_the_closing_first_then_cancels_live_charges():
    order = case(document(status=Status.ACCEPTED), [charge("Authorized")])
    assert isinstance(cancellation_step(order, Run(), ON, []), Record)
    closing = Call(1, 1, "HB1", "close_charge_permission", None, {"chargePermissionId": "P01-1"})
    recorded = replace(order, open_calls=[closing])
    step = cancellation_step(recorded, Run(acted=True), ON, [])
    assert isinstance(step, Send) and step.operation == "cancel_charge"
    done = cancellation_step(recorded, Run(acted=True, fresh={"C1"}), ON, [])
    assert done == Send("close_charge_permission", closing.request, closing)


def test_single_items_are_refused_with_the_seller_central_message():
    step = cancellation_step(case(document(status=Status.ACCEPTED)), Run(), ON, ["A-1"])
    assert isinstance(step, Refuse) and "Seller Central" in step.reason

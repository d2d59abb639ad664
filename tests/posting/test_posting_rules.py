"""The booking rules and the matching plan, as pure functions on small frames."""

from __future__ import annotations

import pandas as pd

from domain.settlement.posting import DocumentFacts, StoreView, plan_posting, review_records
from tests.posting.builders import ACCOUNTS, WITH_CLEARING, frame_of, order_rows, row


def facts(number: str, *, paid: bool = False, gross: int = 1000, **extra) -> DocumentFacts:
    return DocumentFacts(number, extra.pop("doc_type", "order"), "EUR", paid, gross, **extra)


def view_of(*documents: DocumentFacts, references: dict[str, str] | None = None) -> StoreView:
    view = StoreView(documents={d.number: d for d in documents}, references=references or {})
    for d in documents:
        if d.doc_type == "credit_note" and d.refers_to:
            view.credit_notes.setdefault(d.refers_to, []).append(d.number)
    return view


def booked(plan) -> list[tuple]:
    """(document, account, amount, kind) per payment, sorted."""
    return sorted(
        (None if pd.isna(d) else d, a, int(m), k)
        for d, a, m, k in plan.payments[
            ["document_number", "account", "amount_minor", "transaction_kind"]
        ].itertuples(index=False)
    )


def test_order_amounts_go_to_income_and_fees_to_the_fee_account_with_their_signs():
    frame = frame_of(
        [
            *order_rows("HB1", 1699, -255, line=10),
            row(
                "order", "ItemPrice", "Shipping", 490, merchant="HB1", transaction="T-HB1", line=12
            ),
            row(
                "order", "Promotion", "Shipping", -490, merchant="HB1", transaction="T-HB1", line=13
            ),
            row(
                "order",
                "ItemFees",
                "FBAPerUnitFulfillmentFee",
                -72,
                merchant="HB1",
                transaction="T-HB1",
                line=14,
            ),
        ]
    )
    plan = plan_posting(frame, view_of(facts("HB1", gross=1699)), ACCOUNTS)
    assert booked(plan) == [("HB1", "4970", -327, "order"), ("HB1", "8400", 1699, "order")]
    assert plan.unmatched_rows == 0 and plan.booked_rows == 5
    assert plan.mismatches == []


def test_refunds_chargebacks_and_claims_go_to_expenses_and_fee_reversals_to_fees():
    frame = frame_of(
        [
            *(
                row("refund", group, kind, minor, merchant="HB1", transaction="R1", line=line)
                for line, group, kind, minor in (
                    (1, "ItemPriceAdjustments", "Principal", -1699),
                    (2, "ItemFeeAdjustments", "Commission", 255),
                    (3, "ItemFeeAdjustments", "RefundCommission", -51),
                )
            ),
            row("chargeback", "Transaction", "TransactionAmount", -500, merchant="HB2", line=4),
            row(
                "guarantee_claim", "Transaction", "TransactionAmount", -300, merchant="HB3", line=5
            ),
        ]
    )
    plan = plan_posting(frame, view_of(facts("HB1"), facts("HB2"), facts("HB3")), ACCOUNTS)
    assert booked(plan) == [
        ("HB1", "4900", -1699, "refund"),
        ("HB1", "4970", 204, "refund"),
        ("HB2", "4900", -500, "chargeback"),
        ("HB3", "4900", -300, "guarantee_claim"),
    ]


def test_amazon_pay_csv_fees_go_to_the_fee_account():
    frame = frame_of(
        [
            row("order", "Transaction", "TransactionAmount", 1000, amazon="P01-1", line=8),
            row("order", "Fee", "TransactionPercentageFee", -29, amazon="P01-1", line=8),
            row("order", "Fee", "TransactionFixedFee", -30, amazon="P01-1", line=8),
        ]
    )
    plan = plan_posting(frame, view_of(facts("HB9"), references={"P01-1": "HB9"}), ACCOUNTS)
    assert booked(plan) == [("HB9", "4970", -59, "order"), ("HB9", "8400", 1000, "order")]


def test_transfers_reserves_and_other_rows_go_to_clearing_when_it_is_configured():
    frame = frame_of(
        [
            row("transfer", "Transaction", "TransactionAmount", -2554, line=7),
            row("reserve", "Transaction", "TransactionAmount", 2400, line=8),
            row("other", "Other", "Subscription Fee", -3900, line=9),
        ]
    )
    plan = plan_posting(frame, view_of(), WITH_CLEARING)
    assert booked(plan) == [
        (None, "1360", -3900, "other"),
        (None, "1360", -2554, "transfer"),
        (None, "1360", 2400, "reserve"),
    ]
    assert plan.unmatched_rows == 0


def test_without_a_clearing_account_transfers_go_to_review_and_say_why():
    frame = frame_of([row("transfer", "Transaction", "TransactionAmount", -2554, line=7)])
    plan = plan_posting(frame, view_of(), ACCOUNTS)
    assert plan.payments.empty
    (reason,) = plan.review["reason"]
    assert reason == (
        "no clearing account configured (AMAZON_PAYMENTS_ACCOUNT_CLEARING) for transfer rows"
    )


def test_a_document_that_already_has_a_payment_gets_none_and_its_rows_go_to_review():
    frame = frame_of([*order_rows("HB1", 1000, -100, line=1), *order_rows("HB2", 500, -50, 3)])
    plan = plan_posting(frame, view_of(facts("HB1", paid=True), facts("HB2", gross=500)), ACCOUNTS)
    assert booked(plan) == [("HB2", "4970", -50, "order"), ("HB2", "8400", 500, "order")]
    assert list(plan.review["reason"]) == ["document HB1 already has a payment"] * 2
    assert list(plan.review["document_number"]) == ["HB1", "HB1"]


def test_matching_prefers_the_transaction_id_then_the_charge_permission_then_the_number():
    frame = frame_of(
        [
            # The charge id names HB-B although the merchant order id says HB-A.
            row(
                "order",
                "Transaction",
                "TransactionAmount",
                100,
                merchant="HB-A",
                amazon="P01-A",
                transaction="C-B",
                line=1,
            ),
            # No charge reference: the charge permission names HB-C.
            row(
                "order",
                "Transaction",
                "TransactionAmount",
                200,
                merchant="HB-A",
                amazon="P01-C",
                transaction="C-unknown",
                line=2,
            ),
            # Nothing known but the number.
            row("order", "Transaction", "TransactionAmount", 300, merchant="HB-A", line=3),
        ]
    )
    view = view_of(
        facts("HB-A"), facts("HB-B"), facts("HB-C"), references={"C-B": "HB-B", "P01-C": "HB-C"}
    )
    plan = plan_posting(frame, view, ACCOUNTS)
    assert [(d, m) for d, _a, m, _k in booked(plan)] == [
        ("HB-A", 300),
        ("HB-B", 100),
        ("HB-C", 200),
    ]


def test_a_refund_of_a_paid_order_goes_to_its_only_credit_note():
    frame = frame_of([row("refund", "ItemPriceAdjustments", "Principal", -400, merchant="HB1")])
    view = view_of(facts("HB1", paid=True), facts("GS1", doc_type="credit_note", refers_to="HB1"))
    plan = plan_posting(frame, view, ACCOUNTS)
    assert booked(plan) == [("GS1", "4900", -400, "refund")]


def test_a_refund_with_several_credit_notes_for_its_order_is_reviewed_as_ambiguous():
    frame = frame_of([row("refund", "ItemPriceAdjustments", "Principal", -400, merchant="HB1")])
    view = view_of(
        facts("HB1"),
        facts("GS1", doc_type="credit_note", refers_to="HB1"),
        facts("GS2", doc_type="credit_note", refers_to="HB1"),
    )
    plan = plan_posting(frame, view, ACCOUNTS)
    assert plan.payments.empty
    assert list(plan.review["reason"]) == ["several credit notes refer to HB1"]
    assert plan.review["document_number"].isna().all()


def test_unmatched_rows_go_to_review_naming_their_ids_and_nothing_is_lost():
    frame = frame_of(
        [
            *order_rows("HB1", 1000, -100, line=1),
            row(
                "order",
                "Transaction",
                "TransactionAmount",
                1000,
                amazon="P01-9",
                transaction="P01-9-C1",
                line=8,
            ),
        ]
    )
    plan = plan_posting(frame, view_of(facts("HB1")), ACCOUNTS)
    assert list(plan.review["reason"]) == [
        "no document matches Amazon order id 'P01-9', transaction id 'P01-9-C1'"
    ]
    assert plan.booked_rows + plan.unmatched_rows == len(frame)
    booked_sum = int(plan.payments["amount_minor"].sum())
    assert booked_sum + int(plan.review["amount_minor"].sum()) == int(frame["amount_minor"].sum())


def test_a_row_in_another_currency_than_its_document_is_reviewed():
    frame = frame_of([row("order", "ItemPrice", "Principal", 1000, merchant="HB1", currency="GBP")])
    plan = plan_posting(frame, view_of(facts("HB1")), ACCOUNTS)
    assert list(plan.review["reason"]) == ["currency GBP differs from document HB1 (EUR)"]


def test_an_order_booked_with_another_amount_than_its_gross_total_is_reported_not_blocked():
    frame = frame_of(order_rows("HB1", 990, -100, line=1))
    plan = plan_posting(frame, view_of(facts("HB1", gross=1000)), ACCOUNTS)
    assert plan.mismatches == [{"document": "HB1", "gross_minor": 1000, "booked_minor": 990}]
    assert len(plan.payments) == 2


def test_review_records_are_json_ready():
    frame = frame_of([row("transfer", "Transaction", "TransactionAmount", -2554, line=7)])
    (record,) = review_records(plan_posting(frame, view_of(), ACCOUNTS).review)
    assert record["posted_at"] == "2024-03-05T10:00:00+00:00"
    assert record["amount_minor"] == -2554 and type(record["amount_minor"]) is int
    assert record["merchant_order_id"] is None and record["source_line"] == 7


def test_a_refund_without_fees_books_no_zero_payment_to_the_fee_account():
    frame = frame_of(
        [
            row("refund", "Transaction", "TransactionAmount", -500, amazon="P01-1", line=9),
            row("refund", "Fee", "TransactionPercentageFee", 0, amazon="P01-1", line=9),
            row("refund", "Fee", "TransactionFixedFee", 0, amazon="P01-1", line=9),
        ]
    )
    view = view_of(
        facts("HB9"),
        facts("GS9", doc_type="credit_note", refers_to="HB9"),
        references={"P01-1": "HB9"},
    )
    plan = plan_posting(frame, view, ACCOUNTS)
    assert booked(plan) == [("GS9", "4900", -500, "refund")]
    assert plan.review.empty

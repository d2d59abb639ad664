"""XML layouts beyond the 2011 sample: Refund, newer kinds, namespaces, unknown elements."""

from __future__ import annotations

import pandas as pd

from adapters.settlement_formats.parse import parse_report
from tests.settlement.builders import (
    NEWER_ROOT,
    assert_contract,
    envelope,
    item,
    order,
    other,
    refund,
    settlement_data,
)


def parse(text: str, encoding: str = "utf-8"):
    return parse_report(text.encode(encoding))


def rows(report, **where) -> pd.DataFrame:
    frame = report.frame
    for column, value in where.items():
        frame = frame[frame[column] == value]
    return frame


def test_newer_refund_layout_is_a_refund_keyed_by_its_adjustment_id():
    report = parse(envelope(order(), refund("Refund")))
    refunds = rows(report, transaction_kind="refund")
    assert len(refunds) == 3
    assert set(refunds["transaction_type"]) == {"Refund"}
    assert set(refunds["transaction_id"]) == {"amzn1:crow:uA1wjlSpRBOtQqyU5FyPfw"}
    assert set(refunds["merchant_reference_id"]) == {"1754546548001862332"}
    assert set(refunds["item_id"]) == {"01754743545933"}
    assert set(refunds["merchant_order_id"]) == {"RE-1001"}
    assert dict(
        zip(
            refunds["amount_group"] + "/" + refunds["amount_type"],
            refunds["amount_minor"],
            strict=True,
        )
    ) == {
        "ItemPriceAdjustments/Principal": -895,
        "ItemFeeAdjustments/RefundCommission": -31,
        "ItemFeeAdjustments/Commission": 154,
    }
    assert_contract(report)


def test_old_adjustment_and_new_refund_layouts_give_the_same_rows_but_their_type():
    old = parse(envelope(refund("Adjustment"))).frame.drop(columns="transaction_type")
    new = parse(envelope(refund("Refund"))).frame.drop(columns="transaction_type")
    pd.testing.assert_frame_equal(old, new)


def test_chargeback_and_guarantee_claim_have_their_own_kinds():
    report = parse(envelope(refund("Chargeback"), refund("GuaranteeClaim")))
    kinds = report.frame.groupby("transaction_type")["transaction_kind"].unique()
    assert kinds["Chargeback"].tolist() == ["chargeback"]
    assert kinds["GuaranteeClaim"].tolist() == ["guarantee_claim"]


def test_order_amounts_are_grouped_by_their_container_and_typed_by_type():
    promotion = (
        "<Promotion><MerchantPromotionID>Free shipping</MerchantPromotionID>"
        '<Type>Shipping</Type><Amount currency="EUR">-3.99</Amount></Promotion>'
    )
    items = item().replace("</Item>", promotion + "</Item>")
    report = parse(envelope(order(items=items)))
    labels = list(zip(report.frame["amount_group"], report.frame["amount_type"], strict=True))
    assert labels == [
        ("ItemPrice", "Principal"),
        ("ItemFees", "Commission"),
        ("Promotion", "Shipping"),
    ]
    assert report.frame["amount_minor"].tolist() == [1699, -137, -399]
    first = report.frame.iloc[0]
    assert (first["amazon_order_id"], first["merchant_order_id"]) == (
        "302-1234567-1234567",
        "RE-1001",
    )
    assert (first["transaction_id"], first["sku"], first["quantity"]) == ("D3BkSVRKR", "SKU-1", 1)
    assert first["posted_at"] == pd.Timestamp("2024-03-02T08:18:20", tz="UTC")


def test_a_quantity_split_into_two_items_numbers_the_repeated_item_code():
    report = parse(envelope(order(items=item() + item())))
    assert report.frame["item_id"].tolist() == ["01754743545933"] * 2 + ["01754743545933#2"] * 2


def test_other_transactions_book_their_type_text_as_an_other_amount():
    report = parse(envelope(other("Subscription Fee", "-39.00"), other("Storage Fee", "-1.20")))
    assert report.frame["transaction_kind"].tolist() == ["other", "other"]
    assert report.frame["amount_group"].tolist() == ["Other", "Other"]
    assert report.frame["amount_type"].tolist() == ["Subscription Fee", "Storage Fee"]
    # Neither states an id: each is named by the line of its element, so keys stay unique.
    assert report.frame["transaction_id"].str.fullmatch(r"line-\d+").all()
    assert report.frame["transaction_id"].nunique() == 2


def test_reserve_movements_are_of_kind_reserve():
    report = parse(
        envelope(
            other("Current Reserve Amount", "-50.00"),
            other("Previous Reserve Amount Balance", "40.00"),
        )
    )
    assert report.frame["transaction_kind"].tolist() == ["reserve", "reserve"]


def test_other_transaction_item_breakdown_is_not_counted_twice():
    breakdown = (
        "<OtherTransactionItem><SKU>SKU-9</SKU><Quantity>2</Quantity>"
        '<Amount currency="EUR">12.50</Amount></OtherTransactionItem>'
    )
    report = parse(envelope(other("WAREHOUSE_DAMAGE", "12.50", breakdown)))
    assert report.frame["amount_minor"].tolist() == [1250]
    assert report.frame["sku"].tolist() == ["SKU-9"]
    assert report.frame["quantity"].tolist() == [2]
    assert report.skipped_elements == {"OtherTransaction/OtherTransactionItem/Amount": 1}


def test_advertising_books_base_and_tax_but_not_their_restated_total():
    advertising = (
        "<AdvertisingTransactionDetails><TransactionType>Charge</TransactionType>"
        "<PostedDate>2024-03-07T01:02:03+00:00</PostedDate><InvoiceId>TR1T7Y2NB-1</InvoiceId>"
        '<BaseAmount currency="EUR">-11.60</BaseAmount><TaxAmount currency="EUR">-1.40</TaxAmount>'
        '<TransactionAmount currency="EUR">-13.00</TransactionAmount>'
        "</AdvertisingTransactionDetails>"
    )
    report = parse(envelope(advertising))
    assert report.frame["amount_type"].tolist() == ["BaseAmount", "TaxAmount"]
    assert report.frame["amount_minor"].sum() == -1300
    assert set(report.frame["amount_group"]) == {"AdvertisingTransactionDetails"}
    assert set(report.frame["transaction_id"]) == {"TR1T7Y2NB-1"}
    assert set(report.frame["transaction_type"]) == {"Charge"}
    assert report.skipped_elements == {"AdvertisingTransactionDetails/TransactionAmount": 1}


NEWER_KINDS = {
    "SellerCouponPayment": (
        "<SellerCouponPayment><PostedDate>2024-03-08T00:00:00+00:00</PostedDate>"
        "<TransactionType>CouponRedemptionFee</TransactionType><PaymentReason>clip</PaymentReason>"
        '<CouponFee><Type>Fee</Type><Amount currency="EUR">-0.60</Amount></CouponFee>'
        "<Count>1</Count><CouponID>A1B2C3</CouponID><MarketplaceName>Amazon.de</MarketplaceName>"
        "</SellerCouponPayment>",
        ("CouponFee", "Fee", -60, "A1B2C3"),
    ),
    "SellerDealPayment": (
        "<SellerDealPayment><MarketplaceName>Amazon.de</MarketplaceName>"
        "<PostedDate>2024-03-08T00:00:00+00:00</PostedDate>"
        "<TransactionType>LightningDealFee</TransactionType><PaymentReason>deal</PaymentReason>"
        "<DealID>deal-1</DealID><DealDescription>Spring</DealDescription>"
        '<DealFee><Type>RunLightningDealFee</Type><Amount currency="EUR">-150.00</Amount>'
        "</DealFee></SellerDealPayment>",
        ("DealFee", "RunLightningDealFee", -15000, "deal-1"),
    ),
    "Retrocharge": (
        "<Retrocharge><PostedDate>2022-03-22T21:21:31+00:00</PostedDate>"
        "<AmazonOrderID>302-0000000-0000001</AmazonOrderID>"
        '<BaseTax><Amount currency="EUR">-1.23</Amount></BaseTax></Retrocharge>',
        ("Retrocharge", "BaseTax", -123, None),
    ),
    "TaxWithholding": (
        "<TaxWithholding><TransactionType>IncomeTax</TransactionType>"
        "<PostedDate>2024-03-08T00:00:00+00:00</PostedDate>"
        '<TransactionAmount currency="EUR">-4.00</TransactionAmount></TaxWithholding>',
        ("TaxWithholding", "TransactionAmount", -400, None),
    ),
    "OtherFee": (
        "<OtherFee><PostedDate>2024-03-08T00:00:00+00:00</PostedDate>"
        '<Amount currency="EUR">-2.00</Amount><ReasonDescription>x</ReasonDescription></OtherFee>',
        ("Other", "OtherFee", -200, None),
    ),
    "MiscEvent": (
        "<MiscEvent><PostedDate>2024-03-08T00:00:00+00:00</PostedDate>"
        '<Amount currency="EUR">5.00</Amount></MiscEvent>',
        ("Other", "MiscEvent", 500, None),
    ),
}


def test_newer_kinds_each_become_other_rows_with_group_type_and_id():
    for name, (xml, (group, kind, minor, transaction_id)) in NEWER_KINDS.items():
        report = parse(envelope(xml))
        row = report.frame.iloc[0]
        assert len(report.frame) == 1, name
        assert row["transaction_kind"] == "other", name
        assert (row["amount_group"], row["amount_type"], row["amount_minor"]) == (
            group,
            kind,
            minor,
        ), name
        if transaction_id is not None:
            assert row["transaction_id"] == transaction_id, name
        assert report.skipped_elements == {}, name


def test_liquidations_use_their_own_id_spelling():
    liquidation = (
        "<Liquidations><PostedDate>2024-03-08T00:00:00+00:00</PostedDate>"
        "<OrderId>302-7777777-7777777</OrderId><SellerOrderId>RE-2002</SellerOrderId>"
        '<Item><SKU>SKU-3</SKU><Amount currency="EUR">7.00</Amount></Item></Liquidations>'
    )
    row = parse(envelope(liquidation)).frame.iloc[0]
    assert (row["amazon_order_id"], row["merchant_order_id"], row["sku"]) == (
        "302-7777777-7777777",
        "RE-2002",
        "SKU-3",
    )
    assert row["amount_minor"] == 700


def test_a_namespaced_root_parses_like_a_plain_one():
    plain = parse(envelope(order(), refund(), other("Subscription Fee", "-39.00")))
    spaced = parse(
        envelope(
            order(),
            refund(),
            other("Subscription Fee", "-39.00"),
            root='<AmazonEnvelope xmlns="urn:amazon:settlement">',
        )
    )
    pd.testing.assert_frame_equal(plain.frame, spaced.frame)
    assert spaced.header == plain.header


def test_an_attribute_laden_root_parses_like_a_plain_one():
    plain = parse(envelope(order(), refund()))
    laden = parse(envelope(order(), refund(), root=NEWER_ROOT))
    pd.testing.assert_frame_equal(plain.frame, laden.frame)


def test_unknown_elements_are_skipped_and_counted_never_a_crash():
    unknown_top = (
        "<FutureThing><PostedDate>2024-03-08T00:00:00+00:00</PostedDate>"
        '<Amount currency="EUR">9.99</Amount></FutureThing>'
    )
    with_unknown_leaf = order().replace("<ShipmentID>", "<GiftMessage>hi</GiftMessage><ShipmentID>")
    report = parse(envelope(unknown_top, with_unknown_leaf, unknown_top, "<Trailer/>"))
    assert report.skipped_elements == {"FutureThing": 2, "Order/GiftMessage": 1, "Trailer": 1}
    assert len(report.frame) == 2  # the order's two amounts; FutureThing's are not guessed at


def test_money_under_an_unknown_container_of_a_known_transaction_still_becomes_rows():
    fees = (
        "<NewFees><Fee><Type>DigitalServicesFee</Type>"
        '<Amount currency="EUR">-0.05</Amount></Fee></NewFees>'
    )
    report = parse(envelope(order(items=item().replace("</Item>", fees + "</Item>"))))
    assert report.frame["amount_group"].tolist()[-1] == "NewFees"
    assert report.frame["amount_minor"].sum() == 1699 - 137 - 5


def test_iso_8859_1_reports_keep_umlauts_in_skus():
    text = envelope(
        order(items=item(sku="Grüße-Äpfel-ß")),
        declaration='<?xml version="1.0" encoding="ISO-8859-1"?>',
    )
    data = text.encode("iso-8859-1")
    assert "Grüße".encode() not in data  # really Latin-1 bytes, not UTF-8
    report = parse_report(data)
    assert set(report.frame["sku"]) == {"Grüße-Äpfel-ß"}


def test_settlement_data_may_come_after_the_transactions():
    text = envelope(order(), data="").replace(
        "</SettlementReport>", settlement_data("15.62") + "</SettlementReport>"
    )
    report = parse(text)
    assert report.header.settlement_id == "12343546718237647"
    assert (report.frame["settlement_id"] == "12343546718237647").all()
    assert report.frame["amount_minor"].sum() == 1562


def test_comments_and_processing_instructions_are_ignored():
    text = envelope(order().replace("<Fulfillment>", "<!-- note --><?pi x?><Fulfillment>"))
    assert len(parse(text).frame) == 2


def test_yen_amounts_with_zero_decimals_written_as_two_are_exact():
    text = envelope(
        other("Storage Fee", "-1200.00").replace("EUR", "JPY"),
        data=settlement_data("-1200.00", currency="JPY"),
    )
    report = parse(text)
    assert report.frame["amount_minor"].tolist() == [-1200]
    assert report.header.stated_total is not None
    assert str(report.header.stated_total) == "-1200 JPY"


def test_an_empty_report_gives_an_empty_frame_with_the_contract_dtypes():
    report = parse(envelope())
    assert report.frame.empty
    assert_contract(report)

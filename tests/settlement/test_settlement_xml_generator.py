"""The sandbox's XML settlement report generator: faithful layout, exact stated total."""

from __future__ import annotations

import io
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from adapters.settlement_formats.parse import parse_report
from domain.settlement.model import UNIQUE_KEY
from sandbox.settlement_xml import GeneratedReport, write_settlement_xml
from tests.settlement.builders import assert_contract


def only(element: etree._Element | None) -> etree._Element:
    """The element a path must find."""
    assert element is not None
    return element


def generate(**options: Any) -> tuple[bytes, GeneratedReport]:
    stream = io.BytesIO()
    generated = write_settlement_xml(stream, **options)
    return stream.getvalue(), generated


@pytest.mark.parametrize(
    "options",
    [
        {"orders": 200, "seed": 1},
        {"orders": 150, "seed": 2, "refund_element": "Adjustment", "currency": "GBP"},
        {"orders": 120, "seed": 3, "newer_kinds": True, "refunds_share": 0.3},
        {"orders": 40, "seed": 4, "currency": "JPY", "other_transactions": 8},
    ],
)
def test_generated_reports_parse_and_sum_to_their_stated_total(options):
    data, generated = generate(**options)
    report = parse_report(data)
    assert report.header.stated_total == generated.total
    assert int(report.frame["amount_minor"].sum()) == generated.total.to_minor()
    assert len(report.frame) == generated.amounts
    assert report.header.settlement_id == generated.settlement_id
    assert report.header.currency == options.get("currency", "EUR")
    assert not report.frame.duplicated(list(UNIQUE_KEY)).any()
    assert_contract(report)


def test_generated_total_is_the_sum_of_the_files_own_amount_leaves():
    data, generated = generate(orders=80, seed=9, newer_kinds=True)
    root = etree.fromstring(data)
    stated = Decimal(str(root.findtext(".//TotalAmount")))
    leaves = [el for el in root.iter() if el.get("currency") is not None]
    counted = [
        Decimal(str(el.text)) for el in leaves if el.tag not in ("TotalAmount", "TransactionAmount")
    ]
    assert stated == sum(counted) == generated.total.amount
    assert all(el.get("currency") == "EUR" for el in leaves)


def test_generated_layout_follows_the_real_report():
    data, generated = generate(orders=60, seed=5, refunds_share=0.2, newer_kinds=True)
    root = etree.fromstring(data)
    assert root.tag == "AmazonEnvelope"
    assert [child.tag for child in root] == ["Header", "MessageType", "Message"]
    report = only(root.find("Message/SettlementReport"))
    order = [child.tag for child in report]
    assert order[0] == "SettlementData"
    groups = list(dict.fromkeys(order[1:]))
    assert groups == [
        "Order",
        "Refund",
        "OtherTransaction",
        "AdvertisingTransactionDetails",
        "SellerCouponPayment",
    ]
    assert {tag: order.count(tag) for tag in groups} == generated.elements
    first = only(report.find("Order"))
    assert first[0].tag == "AmazonOrderID"
    for element in report.iter("Order"):  # as in the 2011 file: AFN orders repeat the id
        afn = element.findtext("Fulfillment/MerchantFulfillmentID") == "AFN"
        assert (element.findtext("MerchantOrderID") == element.findtext("AmazonOrderID")) is afn
    assert first.find("Fulfillment/Item/ItemPrice/Component/Amount") is not None
    assert first.find("Fulfillment/Item/ItemFees/Fee/Type") is not None
    refund = only(report.find("Refund"))
    assert str(refund.findtext("AdjustmentID")).startswith("amzn1:crow:")
    assert refund.find("Fulfillment/AdjustedItem/ItemPriceAdjustments/Component") is not None
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<AmazonEnvelope')


def test_merchant_order_ids_and_amounts_can_be_named_for_erp_documents():
    numbers = [f"RE-2024-{n:05d}" for n in range(1, 31)]
    amounts = [Decimal("19.99") + n for n in range(30)]
    data, _ = generate(
        orders=30, seed=6, merchant_order_ids=numbers, order_amounts=amounts, refunds_share=0.0
    )
    frame = parse_report(data).frame
    orders = frame[frame["transaction_kind"] == "order"]
    assert orders["merchant_order_id"].unique().tolist() == numbers
    principal = orders[orders["amount_type"] == "Principal"]
    assert principal["amount_minor"].tolist() == [int(amount * 100) for amount in amounts]


def test_refunds_carry_the_merchant_order_id_of_their_order():
    numbers = [f"RE-{n}" for n in range(50)]
    data, _ = generate(orders=50, seed=7, merchant_order_ids=numbers, refunds_share=0.5)
    frame = parse_report(data).frame
    refunds = frame[frame["transaction_kind"] == "refund"]
    assert len(refunds) > 0
    assert set(refunds["merchant_order_id"]) <= set(numbers)


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not():
    assert generate(orders=30, seed=11)[0] == generate(orders=30, seed=11)[0]
    assert generate(orders=30, seed=11)[0] != generate(orders=30, seed=12)[0]


def test_a_path_target_is_written_and_closed(tmp_path: Path):
    path = tmp_path / "settlement.xml"
    generated = write_settlement_xml(path, orders=10, seed=1, settlement_id="99887766554433")
    report = parse_report(path.read_bytes())
    assert report.header.settlement_id == generated.settlement_id == "99887766554433"


class Sink(io.RawIOBase):
    """A stream that counts and drops what it is given."""

    written = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.written += len(data)
        return len(data)


def test_writing_streams_instead_of_holding_the_report_in_memory():
    sink = Sink()
    tracemalloc.start()
    try:
        with io.BufferedWriter(sink) as stream:
            write_settlement_xml(stream, orders=3000, seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sink.written > 3_000_000
    assert peak < sink.written / 5


def test_inconsistent_options_are_refused():
    with pytest.raises(ValueError, match="merchant_order_ids has 2 entries for 3 orders"):
        write_settlement_xml(io.BytesIO(), orders=3, seed=1, merchant_order_ids=["A", "B"])
    with pytest.raises(ValueError, match="refund_element"):
        write_settlement_xml(io.BytesIO(), orders=3, seed=1, refund_element="Return")
    with pytest.raises(ValueError, match="unknown currency"):
        write_settlement_xml(io.BytesIO(), orders=3, seed=1, currency="XBT")


def test_source_lines_stay_exact_beyond_65535_lines():
    data, _ = generate(orders=2500, seed=8)
    lines = data.decode().splitlines()
    assert len(lines) > 70_000
    frame = parse_report(data).frame
    late = frame[frame["source_line"] > 65_535]
    assert len(late) > 100
    for line, minor in zip(late["source_line"], late["amount_minor"], strict=True):
        text = lines[line - 1].split(">")[1].split("<")[0]
        assert int(Decimal(text) * 100) == minor

"""The real 2011 Amazon.co.uk settlement report (shared/samples/elcuk3_xml/payment.xml)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from adapters.settlement_formats.parse import parse_report
from domain.settlement.model import UNIQUE_KEY, ParsedReport
from tests.settlement.builders import assert_contract


@pytest.fixture
def report_path(samples: Path) -> Path:
    return samples / "elcuk3_xml" / "payment.xml"


@pytest.fixture
def report(report_path: Path) -> ParsedReport:
    with report_path.open("rb") as stream:
        return parse_report(stream)


def test_real_report_parses_to_833_rows_summing_exactly_to_its_stated_total(report):
    assert len(report.frame) == 833
    assert int(report.frame["amount_minor"].sum()) == 269277
    assert report.header.stated_total is not None
    assert report.header.stated_total.to_minor() == 269277
    assert str(report.header.stated_total) == "2692.77 GBP"


def test_real_report_has_one_row_per_currency_leaf_except_total_amount(report, report_path):
    tree = etree.parse(str(report_path))
    leaves = [el for el in tree.iter() if el.get("currency") is not None]
    amounts = sorted(int(Decimal(str(el.text)) * 100) for el in leaves if el.tag != "TotalAmount")
    assert sorted(report.frame["amount_minor"].tolist()) == amounts


def test_real_report_header_states_settlement_period_and_deposit(report):
    header = report.header
    assert header.settlement_id == "6166306752"
    assert header.report_format == "xml"
    assert header.currency == "GBP"
    assert header.period_start.isoformat() == "2011-10-21T04:17:15+00:00"
    assert header.period_end.isoformat() == "2011-11-04T04:13:55+00:00"
    assert header.deposit_date is not None
    assert header.deposit_date.isoformat() == "2011-11-06T04:13:55+00:00"


def test_real_report_frame_follows_the_contract(report):
    assert_contract(report)
    assert report.skipped_elements == {}
    assert set(report.frame["transaction_kind"]) == {"order", "refund", "other"}
    assert (report.frame["settlement_id"] == "6166306752").all()
    assert str(report.frame["posted_at"].dt.tz) == "UTC"
    assert report.frame["posted_at"].notna().all()


def test_real_report_rows_are_unique_on_the_contract_key(report):
    assert not report.frame.duplicated(list(UNIQUE_KEY)).any()


def test_real_report_keeps_item_codes_with_leading_zeros(report, report_path):
    tree = etree.parse(str(report_path))
    codes = {el.text for el in tree.iter("AmazonOrderItemCode")}
    parsed = {code.split("#")[0] for code in report.frame["item_id"].dropna()}
    assert parsed == codes
    assert any(code.startswith("0") for code in parsed)


def test_real_report_counts_each_transaction_element(report):
    frame = report.frame
    assert frame.loc[frame["transaction_kind"] == "order", "transaction_id"].nunique() == 152
    refunds = frame[frame["transaction_kind"] == "refund"]
    assert refunds["transaction_id"].nunique() == 7
    assert set(refunds["transaction_type"]) == {"Adjustment"}
    others = frame[frame["transaction_kind"] == "other"]
    assert len(others) == 5
    assert set(others["amount_group"]) == {"Other"}
    assert set(others["transaction_type"]) == {
        "Subscription Fee",
        "Refund Reimbursal",
        "MDotComRevenueCorrection",
    }


def test_real_report_source_lines_point_at_the_amount_elements(report, report_path):
    lines = report_path.read_text(encoding="utf-8").splitlines()
    for line, minor in zip(report.frame["source_line"], report.frame["amount_minor"], strict=True):
        text = lines[line - 1]
        assert 'currency="GBP"' in text
        value = Decimal(text.split(">")[1].split("<")[0])
        assert int(value * 100) == minor


def test_real_refund_keeps_the_signs_of_principal_and_fee_reversal(report):
    frame = report.frame
    first = frame[frame["transaction_id"] == "amzn1:crow:uA1wjlSpRBOtQqyU5FyPfw"]
    booked = dict(zip(first["amount_type"], first["amount_minor"], strict=True))
    assert booked == {"Principal": -895, "RefundCommission": -31, "Commission": 154}
    assert set(first["merchant_reference_id"]) == {"66846901080"}
    assert set(first["item_id"]) == {"43069330924707"}

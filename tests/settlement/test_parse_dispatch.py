"""Format detection: which parser a report goes to, and which reports are turned away."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.settlement_formats.parse import detect_format, parse_report
from domain.settlement.model import ReportError
from tests.settlement.builders import envelope, order


def test_xml_is_recognised_with_or_without_declaration_bom_or_leading_space():
    assert detect_format(b'<?xml version="1.0"?><AmazonEnvelope/>') == "xml"
    assert detect_format(b"\xef\xbb\xbf<AmazonEnvelope/>") == "xml"
    assert detect_format(b"\n  <AmazonEnvelope/>") == "xml"


def test_a_utf16_xml_report_is_recognised_and_parsed():
    text = envelope(order()).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    data = text.encode("utf-16")
    assert detect_format(data[:64]) == "xml"
    assert len(parse_report(data).frame) == 2


def test_the_real_samples_are_told_apart(samples: Path):
    assert detect_format((samples / "elcuk3_xml" / "payment.xml").read_bytes()[:4096]) == "xml"
    for path in (samples / "smashpig_amazonpay").glob("*SETTLEMENT_DATA*.csv"):
        assert detect_format(path.read_bytes()[:4096]) == "amazon-pay-csv"


def test_marketplace_flat_files_are_refused_as_not_supported_yet(samples: Path):
    for path in sorted((samples / "adwweaver_flatfile_v1").glob("*.txt"))[:2]:
        with pytest.raises(
            ReportError, match="flat-file \\(TSV\\) settlement report: not supported"
        ):
            parse_report(path.read_bytes())


def test_other_amazon_pay_transaction_reports_are_refused():
    for header, name in (
        ('"AmazonCaptureId","X"', "capture"),
        ('"AmazonAuthorizationId","X"', "authorization"),
    ):
        with pytest.raises(ReportError, match=f"{name} .*not a settlement report"):
            detect_format(header.encode())


def test_anything_else_is_refused_with_its_first_characters():
    with pytest.raises(ReportError, match="unrecognised report.*'%PDF-1.7'"):
        detect_format(b"%PDF-1.7\n...")


def test_the_callers_stream_stays_open_after_parsing(samples: Path):
    for path in (
        samples / "elcuk3_xml" / "payment.xml",
        next((samples / "smashpig_amazonpay").glob("*SETTLEMENT_DATA*.csv")),
    ):
        with path.open("rb") as stream:
            parse_report(stream)
            assert not stream.closed


def test_a_path_is_refused_because_the_domain_opens_no_files(tmp_path: Path):
    with pytest.raises(TypeError, match="open the file first"):
        parse_report(tmp_path / "report.xml")  # type: ignore[arg-type]

"""The real sample reports, parsed by the project's parsers, meet settlement_report_v1."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from adapters.quality.runner import check_report

parse = pytest.importorskip("adapters.settlement_formats.parse")


def _parsed(path: Path):
    return parse.parse_report(path.read_bytes())


def test_real_xml_report_meets_the_suite_with_its_stated_total(samples: Path):
    report = _parsed(samples / "elcuk3_xml" / "payment.xml")
    result = check_report(report)
    assert result.valid, result.message()
    total = next(o for o in result.results if o.name == "sum_equals_stated_total")
    assert total.success and total.observed == "269277 (2692.77 GBP)"


def amazon_pay_settlements(samples: Path) -> list[Path]:
    files = sorted((samples / "smashpig_amazonpay").glob("*SETTLEMENT_DATA*.csv"))
    assert files, "no Amazon Pay settlement samples"
    return files


def test_real_amazon_pay_settlements_meet_the_suite_with_their_fee_arithmetic(samples: Path):
    for path in amazon_pay_settlements(samples):
        result = check_report(_parsed(path))
        assert result.valid, f"{path.name}: {result.message()}"
        assert "net_is_amount_plus_fee" in [o.name for o in result.results]


def test_real_samples_need_no_posted_at_tolerance(samples: Path):
    # The measurement behind DEFAULT_POSTED_AT_TOLERANCE: every real row lies in its period.
    paths = [samples / "elcuk3_xml" / "payment.xml", *amazon_pay_settlements(samples)]
    for path in paths:
        result = check_report(_parsed(path), posted_at_tolerance=timedelta(0))
        assert result.valid, f"{path.name}: {result.message()}"


def test_real_xml_with_one_amount_changed_by_a_cent_fails_the_sum_check(samples: Path):
    data = (samples / "elcuk3_xml" / "payment.xml").read_bytes()
    changed = data.replace(b">-0.72</Amount>", b">-0.73</Amount>", 1)
    assert changed != data
    result = check_report(parse.parse_report(changed))
    assert result.failed_expectations == ["sum_equals_stated_total"]
    total = next(o for o in result.results if o.name == "sum_equals_stated_total")
    assert (total.observed, total.expected) == ("269276 (2692.76 GBP)", "269277 (2692.77 GBP)")


def test_excess_decimals_are_refused_by_the_parser_before_any_check(samples: Path):
    data = (samples / "elcuk3_xml" / "payment.xml").read_bytes()
    changed = data.replace(b">-0.72</Amount>", b">-0.725</Amount>", 1)
    with pytest.raises(parse.ReportError, match="decimals"):
        parse.parse_report(changed)

"""Units of the sandbox: timestamps, amounts, tolerances, fees, simulation table."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.money import Money
from sandbox.clock import SandboxClock, compact, parse_timestamp
from sandbox.config import SandboxConfig
from sandbox.errors import ApiError
from sandbox.payloads import parse_price
from sandbox.rules import tolerance
from sandbox.settlement_csv import capture_fees
from sandbox.simulation import check_simulation
from tests.sandbox.conftest import REPO


def test_compact_and_extended_timestamps_parse_to_the_same_instant():
    expected = datetime(2023, 10, 26, 6, 28, 27, tzinfo=UTC)
    assert parse_timestamp("20231026T062827Z") == expected
    assert parse_timestamp("2023-10-26T06:28:27Z") == expected
    assert compact(expected) == "20231026T062827Z"
    with pytest.raises(ValueError, match="not a timestamp"):
        parse_timestamp("2023-10-26 06:28:27")


def test_sandbox_clock_runs_on_real_time_plus_the_advances():
    ticks = iter([0.0, 5.0, 5.0])
    clock = SandboxClock(datetime(2024, 1, 1, tzinfo=UTC), monotonic=lambda: next(ticks))
    clock.advance(3600)
    assert clock.now() == datetime(2024, 1, 1, 1, 0, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("14.00", "14.00"), ("14", "14.00"), (14, "14.00"), (Decimal("14.5"), "14.50")],
)
def test_prices_accept_strings_and_numbers_but_keep_decimals(value, expected):
    assert str(parse_price({"amount": value, "currencyCode": "EUR"}, "x").amount) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"amount": True, "currencyCode": "EUR"},
        {"amount": "1.5", "currencyCode": "JPY"},
        {"amount": "1", "currencyCode": "XXX"},
        {"amount": "1"},
        "1.00",
    ],
)
def test_bad_prices_are_invalid_parameters(value):
    with pytest.raises(ApiError) as raised:
        parse_price(value, "chargeAmount")
    assert raised.value.status == 400
    assert "chargeAmount" in raised.value.message


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("100.00", "EUR", "15.00"),
        ("1000.00", "USD", "75.00"),
        ("10.01", "GBP", "1.50"),
        ("100000", "JPY", "8400"),
        ("1000", "JPY", "150"),
        ("0.03", "EUR", "0.00"),
    ],
)
def test_tolerance_is_the_lesser_of_15_percent_and_the_cap(amount, currency, expected):
    assert str(tolerance(Money(amount, currency)).amount) == expected


def test_capture_fees_round_half_up_to_the_minor_unit():
    percentage, fixed = capture_fees(Money("10.50", "EUR"), Decimal("1.9"), Decimal("0.35"))
    assert (str(percentage.amount), str(fixed.amount)) == ("-0.20", "-0.35")
    percentage, fixed = capture_fees(Money("10.25", "EUR"), Decimal("1.9"), Decimal("0.35"))
    assert str(percentage.amount) == "-0.19"  # 0.19475


def test_simulation_table_checks_operation_and_environment():
    assert check_simulation("Create Charge", None, "Sandbox") is None
    assert check_simulation("Capture Charge", " CaptureInitiated ", "Sandbox") == "CaptureInitiated"
    for args in [
        ("Get Charge", "HardDeclined", "Sandbox"),
        ("Create Charge", "HardDeclined", "Live"),
    ]:
        with pytest.raises(ApiError) as raised:
            check_simulation(*args)
        assert raised.value.reason_code == "InvalidSandboxSimulationSpecified"


def test_config_refuses_floats_for_fees_and_naive_clock_starts():
    with pytest.raises(ValueError, match="Decimal"):
        SandboxConfig(fee_percent=1.9)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone"):
        SandboxConfig(clock_start=datetime(2024, 1, 1))


def test_sandbox_never_imports_the_amazon_pay_client():
    for path in sorted((REPO / "sandbox").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.startswith("adapters.amazon_pay") for name in names), path
            assert not any(name == "adapters" for name in names), path

"""Typed responses: prices become Money (never via float), timestamps tz-aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from adapters.amazon_pay import Charge, ChargePermission, Refund, ReportsPage
from adapters.amazon_pay.models import parse_price, parse_timestamp, price_json
from domain.money import Money
from tests.amazon_pay.fakes import charge_json, charge_permission_json, price, refund_json


def test_charge_amounts_become_money_and_unset_amounts_stay_none() -> None:
    charge = Charge.model_validate(charge_json(amount="14.00"))
    assert charge.charge_amount == Money("14.00", "EUR")
    assert charge.capture_amount is None and charge.refunded_amount is None
    assert charge.state == "Authorized" and not charge.pending
    assert charge.status_details.last_updated_timestamp == datetime(
        2023, 10, 26, 6, 28, 27, tzinfo=UTC
    )
    assert charge.release_environment == "Sandbox"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("14.00", "EUR", "14.00"),
        (14, "EUR", "14.00"),
        (Decimal("14.1"), "EUR", "14.10"),
        (14.1, "USD", "14.10"),
        (0.29, "EUR", "0.29"),
        ("500", "JPY", "500"),
        (500, "JPY", "500"),
        ("500.00", "JPY", "500"),
    ],
)
def test_amounts_as_strings_or_numbers_parse_exactly(amount, currency, expected) -> None:
    money = parse_price(price(amount, currency))
    assert money == Money(expected, currency)
    assert str(money.amount) == expected


def test_float_amounts_go_through_their_decimal_repr_not_their_binary_value() -> None:
    # 0.29 * 100 is 28.999999999999996 in binary floats; via str it stays 29 cents.
    assert parse_price(price(0.29)).to_minor() == 29


@pytest.mark.parametrize(
    "bad",
    [
        price("500.5", "JPY"),
        price("14.001"),
        {"amount": "1.00"},
        price(None),
        price(True),
        price("abc"),
        "14.00 EUR",
    ],
)
def test_prices_that_are_not_exact_money_are_refused(bad) -> None:
    with pytest.raises(ValidationError):
        Charge.model_validate(charge_json() | {"captureAmount": bad})


def test_price_json_writes_amount_as_string_without_decimals_for_jpy() -> None:
    assert price_json(Money("500", "JPY")) == {"amount": "500", "currencyCode": "JPY"}
    assert price_json(Money("14", "EUR")) == {"amount": "14.00", "currencyCode": "EUR"}
    with pytest.raises(TypeError, match="domain.money.Money"):
        price_json(14.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20231026T062827Z", datetime(2023, 10, 26, 6, 28, 27, tzinfo=UTC)),
        ("20231026T062827.120Z", datetime(2023, 10, 26, 6, 28, 27, 120000, tzinfo=UTC)),
        ("2023-10-26T06:28:27Z", datetime(2023, 10, 26, 6, 28, 27, tzinfo=UTC)),
        ("2023-10-26T08:28:27+02:00", datetime(2023, 10, 26, 6, 28, 27, tzinfo=UTC)),
        ("2023-10-26T06:28:27", datetime(2023, 10, 26, 6, 28, 27, tzinfo=UTC)),
    ],
)
def test_compact_and_iso_timestamps_become_utc_datetimes(text, expected) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_aware_datetimes_are_converted_to_utc_and_garbage_is_refused() -> None:
    cest = datetime(2023, 10, 26, 8, 0, tzinfo=timezone(timedelta(hours=2)))
    assert parse_timestamp(cest).tzinfo is UTC and parse_timestamp(cest).hour == 6
    with pytest.raises(ValueError, match="'yesterday' is not a timestamp"):
        parse_timestamp("yesterday")


def test_charge_permission_has_limits_and_a_reasons_list() -> None:
    reasons = [{"reasonCode": "PaymentMethodExpired", "reasonDescription": "expired card"}]
    permission = ChargePermission.model_validate(
        charge_permission_json("S01-1", "NonChargeable", reasons)
    )
    assert permission.state == "NonChargeable"
    assert [r.reason_code for r in permission.status_details.reasons] == ["PaymentMethodExpired"]
    assert permission.limits is not None
    assert permission.limits.amount_balance == Money("186.00", "EUR")
    assert permission.expiration_timestamp == datetime(2024, 4, 23, 6, 27, tzinfo=UTC)


def test_null_reasons_become_an_empty_list() -> None:
    permission = ChargePermission.model_validate(charge_permission_json(reasons=None))
    assert permission.status_details.reasons == []


def test_refund_is_pending_until_amazon_decides() -> None:
    assert Refund.model_validate(refund_json(state="RefundInitiated")).pending
    refunded = Refund.model_validate(refund_json(state="Refunded", amount=300, currency="JPY"))
    assert not refunded.pending and refunded.refund_amount == Money(300, "JPY")


def test_json_dump_gives_amazons_price_shape_back() -> None:
    charge = Charge.model_validate(charge_json(amount="500", currency="JPY"))
    dumped = charge.model_dump(by_alias=True, mode="json")
    assert dumped["chargeAmount"] == {"amount": "500", "currencyCode": "JPY"}
    assert dumped["statusDetails"]["lastUpdatedTimestamp"] == "2023-10-26T06:28:27Z"
    assert Charge.model_validate(dumped) == charge


def test_reports_page_tolerates_null_reports_and_carries_the_next_token() -> None:
    page = ReportsPage.model_validate({"reports": None, "nextToken": "abc"})
    assert page.reports == [] and page.next_token == "abc"

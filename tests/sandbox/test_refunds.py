"""Refunds: asynchronous completion and the refund ceiling of capture + min(15 %, 75 / 8,400)."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import Running


def _state(response) -> str:
    return response.json()["statusDetails"]["state"]


def test_refund_is_initiated_then_refunded_after_the_async_delay(sandbox: Running):
    _, charge = sandbox.captured_charge("50.00")
    created = sandbox.api.refund(charge, "20.00", sandbox.key())
    assert created.status_code == 201
    refund = created.json()
    assert refund["refundId"].startswith(charge[:19] + "-R")
    assert _state(created) == "RefundInitiated"
    sandbox.admin.advance(seconds=29)
    assert _state(sandbox.api.get(f"refunds/{refund['refundId']}")) == "RefundInitiated"
    sandbox.admin.advance(seconds=2)
    assert _state(sandbox.api.get(f"refunds/{refund['refundId']}")) == "Refunded"
    charge_body = sandbox.api.get(f"charges/{charge}").json()
    assert charge_body["refundedAmount"] == {"amount": "20.00", "currencyCode": "EUR"}


def test_partial_refunds_keep_the_rest_of_the_capture_refundable(sandbox: Running):
    _, charge = sandbox.captured_charge("50.00")
    assert sandbox.api.refund(charge, "20.00", sandbox.key()).status_code == 201
    assert sandbox.api.refund(charge, "30.00", sandbox.key()).status_code == 201
    # 50.00 + 15 % (7.50) is the ceiling: 7.50 more is allowed, 7.51 is not.
    over = sandbox.api.refund(charge, "7.51", sandbox.key())
    assert over.status_code == 422 and over.json()["reasonCode"] == "TransactionAmountExceeded"
    assert sandbox.api.refund(charge, "7.50", sandbox.key()).status_code == 201


@pytest.mark.parametrize(
    ("captured", "currency", "allowed", "refused"),
    [
        ("1000.00", "EUR", "1075.00", "1075.01"),  # 15 % would be 150: the 75 EUR cap wins
        ("100000", "JPY", "108400", "108401"),  # 15 % would be 15,000: the 8,400 JPY cap wins
        ("100.00", "GBP", "115.00", "115.01"),  # 15 % (15) is below the 75 GBP cap
    ],
)
def test_refund_ceiling_is_the_lesser_of_15_percent_and_the_currency_cap(
    sandbox: Running, captured, currency, allowed, refused
):
    _, charge = sandbox.captured_charge(captured, currency=currency)
    too_much = sandbox.api.refund(charge, refused, sandbox.key(), currency=currency)
    assert too_much.status_code == 422
    assert too_much.json()["reasonCode"] == "TransactionAmountExceeded"
    assert sandbox.api.refund(charge, allowed, sandbox.key(), currency=currency).status_code == 201


def test_declined_refund_frees_its_amount_again(sandbox: Running):
    _, charge = sandbox.captured_charge("10.00")
    declined = sandbox.api.refund(charge, "10.00", sandbox.key(), simulation="RefundDeclined")
    sandbox.admin.advance(seconds=31)
    refund = sandbox.api.get(f"refunds/{declined.json()['refundId']}").json()
    assert refund["statusDetails"]["state"] == "Declined"
    assert refund["statusDetails"]["reasonCode"] == "AmazonRejected"
    assert sandbox.api.refund(charge, "11.50", sandbox.key()).status_code == 201


def test_refund_of_a_charge_that_is_not_captured_is_an_invalid_charge_status(sandbox: Running):
    _, charge = sandbox.authorized_charge("10.00")
    response = sandbox.api.refund(charge, "5.00", sandbox.key())
    assert response.status_code == 422
    assert response.json()["reasonCode"] == "InvalidChargeStatus"


def test_refund_in_another_currency_is_a_currency_mismatch(sandbox: Running):
    _, charge = sandbox.captured_charge("10.00")
    response = sandbox.api.refund(charge, "5.00", sandbox.key(), currency="USD")
    assert (response.status_code, response.json()["reasonCode"]) == (400, "CurrencyMismatch")


def test_refund_total_counts_refunds_still_initiated(sandbox: Running):
    _, charge = sandbox.captured_charge("10.00")
    assert sandbox.api.refund(charge, "11.50", sandbox.key()).status_code == 201
    # The first refund is still RefundInitiated, yet it already uses the whole ceiling.
    response = sandbox.api.refund(charge, "0.01", sandbox.key())
    assert response.status_code == 422

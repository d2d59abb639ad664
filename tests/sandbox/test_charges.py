"""Charge permissions and charges: limits, states and the time rules (clock advanced)."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import Running


def _state(response) -> str:
    return response.json()["statusDetails"]["state"]


def _reason(response) -> str | None:
    return response.json()["statusDetails"]["reasonCode"]


def test_checkout_permission_has_amazons_shape_and_a_limit_with_15_percent_tolerance(
    sandbox: Running,
):
    permission = sandbox.admin.checkout("100.00", buyerName="Ada", buyerEmail="ada@example.com")
    body = sandbox.api.get(f"chargePermissions/{permission}").json()
    assert permission.startswith("S01-") and len(permission) == 19
    assert body["statusDetails"]["state"] == "Chargeable"
    assert body["limits"]["amountLimit"] == {"amount": "115.00", "currencyCode": "EUR"}
    assert body["limits"]["amountBalance"] == {"amount": "115.00", "currencyCode": "EUR"}
    assert body["buyer"]["name"] == "Ada"
    assert body["releaseEnvironment"] == "Sandbox"
    created, expires = body["creationTimestamp"], body["expirationTimestamp"]
    assert len(created) == 16 and created.endswith("Z") and "T" in created
    assert expires > created


def test_large_order_limit_tolerance_is_capped_at_75_eur(sandbox: Running):
    permission = sandbox.admin.checkout("1000.00")
    limits = sandbox.api.get(f"chargePermissions/{permission}").json()["limits"]
    assert limits["amountLimit"]["amount"] == "1075.00"


def test_charge_is_authorized_and_holds_the_permission_balance(sandbox: Running):
    permission = sandbox.admin.checkout("100.00")
    response = sandbox.api.create_charge(permission, "40.00", sandbox.key())
    assert response.status_code == 201
    charge = response.json()
    assert charge["chargeId"].startswith(permission + "-C") and len(charge["chargeId"]) == 27
    assert _state(response) == "Authorized"
    assert charge["captureAmount"] is None and charge["refundedAmount"] is None
    limits = sandbox.api.get(f"chargePermissions/{permission}").json()["limits"]
    assert limits["amountBalance"]["amount"] == "75.00"


def test_charge_amount_given_as_a_json_number_is_accepted(sandbox: Running):
    permission = sandbox.admin.checkout("100.00")
    body = {
        "chargePermissionId": permission,
        "chargeAmount": {"amount": 12.5, "currencyCode": "EUR"},
    }
    response = sandbox.api.call("POST", "charges", body, key=sandbox.key())
    assert response.status_code == 201
    assert response.json()["chargeAmount"] == {"amount": "12.50", "currencyCode": "EUR"}


@pytest.mark.parametrize(
    ("amount", "currency", "status", "code"),
    [
        ("10.001", "EUR", 400, "InvalidParameterValue"),
        ("-1.00", "EUR", 400, "InvalidParameterValue"),
        ("10.00", "USD", 400, "CurrencyMismatch"),
        ("200.00", "EUR", 422, "TransactionAmountExceeded"),
    ],
)
def test_charge_amounts_are_validated(sandbox: Running, amount, currency, status, code):
    permission = sandbox.admin.checkout("100.00")
    response = sandbox.api.create_charge(permission, amount, sandbox.key(), currency=currency)
    assert (response.status_code, response.json()["reasonCode"]) == (status, code)


def test_unknown_body_field_is_refused(sandbox: Running):
    permission = sandbox.admin.checkout()
    response = sandbox.api.create_charge(permission, "1.00", sandbox.key(), chargeAmmount="x")
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "UnrecognizedField"


def test_a_permission_takes_at_most_25_charges(sandbox: Running):
    permission = sandbox.admin.checkout("100.00")
    for _ in range(25):
        created = sandbox.api.create_charge(permission, "1.00", sandbox.key())
        assert created.status_code == 201
        cancel = sandbox.api.call("DELETE", f"charges/{created.json()['chargeId']}/cancel", {})
        assert cancel.status_code == 200
    refused = sandbox.api.create_charge(permission, "1.00", sandbox.key())
    assert refused.status_code == 422
    assert refused.json()["reasonCode"] == "TransactionCountExceeded"


def test_capture_within_seven_days_is_captured_at_once(sandbox: Running):
    _, charge = sandbox.authorized_charge("80.00")
    sandbox.admin.advance(days=6)
    response = sandbox.api.capture(charge, "75.50", sandbox.key())
    assert response.status_code == 200
    assert _state(response) == "Captured"
    assert response.json()["captureAmount"] == {"amount": "75.50", "currencyCode": "EUR"}
    assert response.json()["refundedAmount"] == {"amount": "0.00", "currencyCode": "EUR"}


def test_capture_more_than_seven_days_after_authorization_is_asynchronous(sandbox: Running):
    _, charge = sandbox.authorized_charge("80.00")
    sandbox.admin.advance(days=7, seconds=1)
    response = sandbox.api.capture(charge, "80.00", sandbox.key())
    assert _state(response) == "CaptureInitiated"
    assert _state(sandbox.api.get(f"charges/{charge}")) == "CaptureInitiated"
    sandbox.admin.advance(seconds=31)
    assert _state(sandbox.api.get(f"charges/{charge}")) == "Captured"


def test_capture_above_the_charge_amount_is_refused(sandbox: Running):
    _, charge = sandbox.authorized_charge("80.00")
    response = sandbox.api.capture(charge, "80.01", sandbox.key())
    assert response.status_code == 422
    assert response.json()["reasonCode"] == "TransactionAmountExceeded"


def test_capturing_twice_is_an_invalid_charge_status(sandbox: Running):
    _, charge = sandbox.captured_charge("20.00")
    response = sandbox.api.capture(charge, "20.00", sandbox.key())
    assert response.status_code == 422
    assert response.json()["reasonCode"] == "InvalidChargeStatus"


def test_authorization_unused_for_30_days_expires(sandbox: Running):
    permission, charge = sandbox.authorized_charge("80.00")
    sandbox.admin.advance(days=29, hours=23)
    assert _state(sandbox.api.get(f"charges/{charge}")) == "Authorized"
    sandbox.admin.advance(hours=1)
    expired = sandbox.api.get(f"charges/{charge}")
    assert (_state(expired), _reason(expired)) == ("Canceled", "ExpiredUnused")
    capture = sandbox.api.capture(charge, "80.00", sandbox.key())
    assert capture.status_code == 422 and capture.json()["reasonCode"] == "InvalidChargeStatus"
    # The expired hold is released: a new authorization on the same permission works.
    again = sandbox.api.create_charge(permission, "80.00", sandbox.key())
    assert _state(again) == "Authorized"


def test_permission_closes_as_expired_after_180_days(sandbox: Running):
    permission = sandbox.admin.checkout()
    sandbox.admin.advance(days=180)
    body = sandbox.api.get(f"chargePermissions/{permission}").json()
    assert body["statusDetails"]["state"] == "Closed"
    assert body["statusDetails"]["reasons"] == [
        {
            "reasonCode": "Expired",
            "reasonDescription": "The charge permission expired after 180 days.",
        }
    ]
    refused = sandbox.api.create_charge(permission, "1.00", sandbox.key())
    assert refused.status_code == 422
    assert refused.json()["reasonCode"] == "InvalidChargePermissionStatus"


def test_cancel_charge_before_capture_and_not_after(sandbox: Running):
    _, charge = sandbox.authorized_charge("10.00")
    canceled = sandbox.api.call(
        "DELETE", f"charges/{charge}/cancel", {"cancellationReason": "buyer"}
    )
    assert (_state(canceled), _reason(canceled)) == ("Canceled", "MerchantCanceled")
    _, captured = sandbox.captured_charge("10.00")
    refused = sandbox.api.call("DELETE", f"charges/{captured}/cancel", {})
    assert refused.status_code == 422 and refused.json()["reasonCode"] == "InvalidChargeStatus"


def test_close_permission_with_cancel_pending_charges_cancels_open_authorizations(sandbox: Running):
    permission, charge = sandbox.authorized_charge("10.00")
    closed = sandbox.api.call(
        "DELETE",
        f"chargePermissions/{permission}/close",
        {"closureReason": "order canceled", "cancelPendingCharges": True},
    )
    assert closed.status_code == 200
    assert closed.json()["statusDetails"]["reasons"][0]["reasonCode"] == "MerchantClosed"
    after = sandbox.api.get(f"charges/{charge}")
    assert (_state(after), _reason(after)) == ("Canceled", "ChargePermissionCanceled")


def test_close_permission_without_cancel_keeps_the_authorization_capturable(sandbox: Running):
    permission, charge = sandbox.authorized_charge("10.00")
    closed = sandbox.api.call(
        "DELETE", f"chargePermissions/{permission}/close", {"closureReason": "done"}
    )
    assert closed.json()["statusDetails"]["state"] == "Closed"
    assert _state(sandbox.api.capture(charge, "10.00", sandbox.key())) == "Captured"
    again = sandbox.api.create_charge(permission, "1.00", sandbox.key())
    assert again.json()["reasonCode"] == "InvalidChargePermissionStatus"


def test_update_permission_sets_merchant_metadata_once(sandbox: Running):
    permission = sandbox.admin.checkout()
    path = f"chargePermissions/{permission}"
    first = sandbox.api.call("PATCH", path, {"merchantMetadata": {"merchantReferenceId": "INV-1"}})
    assert first.status_code == 200
    assert first.json()["merchantMetadata"] == {"merchantReferenceId": "INV-1"}
    same = sandbox.api.call("PATCH", path, {"merchantMetadata": {"merchantReferenceId": "INV-1"}})
    assert same.status_code == 200
    other = sandbox.api.call("PATCH", path, {"merchantMetadata": {"merchantReferenceId": "INV-2"}})
    assert other.status_code == 422
    assert other.json()["reasonCode"] == "ChargePermissionNotModifiable"


def test_unknown_charge_is_not_found_and_unknown_route_is_unsupported(sandbox: Running):
    missing = sandbox.api.get("charges/S01-0000000-0000000-C000000")
    assert (missing.status_code, missing.json()["reasonCode"]) == (404, "ResourceNotFound")
    wrong_method = sandbox.api.call("PUT", "charges/S01-0000000-0000000-C000000")
    assert (wrong_method.status_code, wrong_method.json()["reasonCode"]) == (
        405,
        "UnsupportedOperation",
    )


def test_malformed_json_is_an_invalid_request_format(sandbox: Running):
    permission = sandbox.admin.checkout()
    response = sandbox.api.call("PATCH", f"chargePermissions/{permission}", raw_body=b"{not json")
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "InvalidRequestFormat"

"""The admin API: off by default, checkouts, ledger view, permission state, clock."""

from __future__ import annotations

from sandbox.config import SandboxConfig
from sandbox.server import run_in_thread
from tests.sandbox.amazon import fetch
from tests.sandbox.conftest import Running


def test_admin_endpoints_answer_404_unless_enabled():
    with run_in_thread(SandboxConfig(tick_interval_seconds=None)) as base_url:
        for method, path in [
            ("GET", "/_admin/ledger"),
            ("POST", "/_admin/clock/advance"),
            ("POST", "/_admin/checkouts"),
            ("PUT", "/_admin/faults"),
        ]:
            assert fetch(base_url + path, method, json={}).status_code == 404
        # The API itself and the certificate are served.
        assert fetch(base_url + "/v2/charges/x").json()["reasonCode"] == "MissingHeader"
        pem = fetch(base_url + "/_sns/SimpleNotificationService-sandbox.pem")
        assert pem.content.startswith(b"-----BEGIN CERTIFICATE-----")


def test_ledger_lists_every_object_with_counts_and_totals(sandbox: Running):
    _, captured = sandbox.captured_charge("30.00")
    sandbox.authorized_charge("5.00")
    sandbox.api.refund(captured, "10.00", sandbox.key())
    sandbox.admin.advance(seconds=31)
    ledger = sandbox.admin.ledger()
    assert ledger["counts"]["chargePermissions"] == 2
    assert ledger["counts"]["charges"] == 2
    assert ledger["counts"]["captures"] == 1
    assert ledger["counts"]["refunds"] == 1
    assert ledger["counts"]["chargesByState"] == {"Captured": 1, "Authorized": 1}
    assert ledger["counts"]["refundsByState"] == {"Refunded": 1}
    assert ledger["totals"] == {"captured": {"EUR": "30.00"}, "refunded": {"EUR": "10.00"}}
    assert {c["chargeId"] for c in ledger["charges"]} >= {captured}


def test_checkout_validates_amount_and_environment(sandbox: Running):
    bad_amount = sandbox.admin.http.post(
        "/_admin/checkouts", json={"amount": "1.001", "currencyCode": "EUR"}
    )
    assert bad_amount.status_code == 400
    bad_env = sandbox.admin.http.post(
        "/_admin/checkouts", json={"amount": "1.00", "currencyCode": "EUR", "environment": "Prod"}
    )
    assert bad_env.status_code == 400
    assert "Sandbox or Live" in bad_env.json()["message"]


def test_checkout_carries_merchant_reference_and_buyer(sandbox: Running):
    permission = sandbox.admin.checkout(
        "12.00", merchantReferenceId="ORD-77", buyerName="Grace", buyerEmail="grace@example.com"
    )
    body = sandbox.api.get(f"chargePermissions/{permission}").json()
    assert body["merchantMetadata"] == {"merchantReferenceId": "ORD-77"}
    assert (body["buyer"]["name"], body["buyer"]["email"]) == ("Grace", "grace@example.com")


def test_permission_state_can_be_forced_for_tests(sandbox: Running):
    permission = sandbox.admin.checkout()
    forced = sandbox.admin.http.post(
        f"/_admin/charge-permissions/{permission}/state",
        json={"state": "NonChargeable", "reasonCode": "PaymentMethodExpired"},
    )
    assert forced.status_code == 200
    refused = sandbox.api.create_charge(permission, "1.00", sandbox.key())
    assert refused.json()["reasonCode"] == "InvalidChargePermissionStatus"


def test_clock_advances_only_forward(sandbox: Running):
    before = sandbox.admin.http.get("/_admin/clock").json()
    after = sandbox.admin.advance(days=2)
    assert after["now"] > before["now"]
    assert sandbox.admin.http.get("/_admin/clock").json()["offsetSeconds"] == 2 * 86400
    backwards = sandbox.admin.http.post("/_admin/clock/advance", json={"seconds": -1})
    assert backwards.status_code == 400


def test_async_delay_can_be_lengthened_to_keep_an_authorization_pending(sandbox: Running):
    assert sandbox.admin.http.put("/_admin/async-delay", json={"seconds": 1200}).json() == {
        "seconds": 1200.0
    }
    permission = sandbox.admin.checkout()
    created = sandbox.api.create_charge(
        permission,
        "10.00",
        sandbox.key(),
        simulation="AuthorizationInitiated",
        canHandlePendingAuthorization=True,
    )
    charge = created.json()["chargeId"]
    sandbox.admin.advance(minutes=15)
    pending = sandbox.api.get(f"charges/{charge}").json()["statusDetails"]["state"]
    assert pending == "AuthorizationInitiated"
    sandbox.admin.advance(minutes=5)
    assert sandbox.api.get(f"charges/{charge}").json()["statusDetails"]["state"] == "Authorized"

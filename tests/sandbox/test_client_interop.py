"""The project's real client (adapters.amazon_pay) against the sandbox over loopback.

The sandbox verifies with its own code, so this checks both sides against each other: signing,
paths, bodies, amounts, states, reports. Skipped while the client package is absent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization

from domain.money import Money
from tests.sandbox.conftest import KEY_ID, LEGACY_KEY_ID, Running

amazon_pay = pytest.importorskip("adapters.amazon_pay")


@pytest.fixture
def client(sandbox: Running, private_key) -> Iterator:
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with amazon_pay.AmazonPayClient(KEY_ID, pem, base_url=sandbox.base_url) as made:
        yield made


def test_client_runs_a_whole_order_against_the_sandbox(sandbox: Running, client):
    permission = sandbox.admin.checkout("44.90", merchantReferenceId="HB100001")
    charge = client.create_charge(
        charge_permission_id=permission,
        charge_amount=Money("44.90", "EUR"),
        idempotency_key="chg-HB100001-1",
        can_handle_pending_authorization=True,
    )
    assert charge.status_details.state == "Authorized"
    captured = client.capture_charge(
        charge.charge_id, capture_amount=Money("44.90", "EUR"), idempotency_key="cap-HB100001-1"
    )
    assert captured.status_details.state == "Captured"
    refund = client.create_refund(
        charge_id=charge.charge_id, refund_amount=Money("10.00", "EUR"), idempotency_key="ref-1"
    )
    assert refund.status_details.state == "RefundInitiated"
    sandbox.admin.advance(minutes=1)
    assert client.get_refund(refund.refund_id).status_details.state == "Refunded"
    sandbox.admin.http.post("/_admin/settlements/close")
    (report,) = list(client.iter_reports())
    content = client.download_report_document(report.report_document_id)
    assert content.startswith(b"\xef\xbb\xbf")
    assert b'"HB100001"' in content


def test_client_sees_a_slow_test_card_authorize_after_the_delay(sandbox: Running, client):
    permission = sandbox.admin.checkout("10.00", paymentDescriptor="Visa ****0701")
    charge = client.create_charge(
        charge_permission_id=permission,
        charge_amount=Money("10.00", "EUR"),
        idempotency_key="chg-slow-1",
        can_handle_pending_authorization=True,
    )
    assert charge.status_details.state == "AuthorizationInitiated"
    sandbox.admin.advance(minutes=1)
    assert client.get_charge(charge.charge_id).status_details.state == "Authorized"


def test_client_maps_a_state_conflict_to_its_error_tree(sandbox: Running, client):
    permission = sandbox.admin.checkout("10.00")
    charge = client.create_charge(
        charge_permission_id=permission, charge_amount=Money("10.00", "EUR"), idempotency_key="c1"
    )
    client.cancel_charge(charge.charge_id, cancellation_reason="test")
    with pytest.raises(amazon_pay.ApiError) as raised:
        client.capture_charge(
            charge.charge_id, capture_amount=Money("10.00", "EUR"), idempotency_key="cap-1"
        )
    assert raised.value.reason_code == "InvalidChargeStatus"
    assert raised.value.status == 422


def test_client_with_a_legacy_key_uses_the_sandbox_path(sandbox: Running, private_key):
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    permission = sandbox.admin.checkout("10.00")
    with amazon_pay.AmazonPayClient(
        LEGACY_KEY_ID, pem, base_url=sandbox.base_url, sandbox=True
    ) as legacy:
        found = legacy.get_charge_permission(permission)
    assert found.status_details.state == "Chargeable"

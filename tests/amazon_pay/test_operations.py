"""Payment operations send the documented method, path and body, and return their type."""

from __future__ import annotations

import json

import pytest

from adapters.amazon_pay import Charge, ChargePermission, Refund
from domain.money import Money
from tests.amazon_pay.fakes import (
    charge_json,
    charge_permission_json,
    json_response,
    refund_json,
    verify_wire_request,
)

CP = "S01-1234567-1234567"
CHARGE = f"{CP}-C000001"
DOC = "amzn1.tortuga.0.000000000-0000-0000-0000-000000000000.00000000000000"


def _sent(recorder) -> tuple[str, str, dict | None]:
    request = recorder.requests[-1]
    body = json.loads(request.content) if request.content else None
    return request.method, request.url.raw_path.decode(), body


def test_create_charge_posts_the_permission_amount_and_flags(make_client, recorder, key):
    recorder.answers.append(json_response(201, charge_json(CHARGE, "AuthorizationInitiated")))
    charge = make_client().create_charge(
        charge_permission_id=CP, charge_amount=Money("99.90", "EUR"),
        idempotency_key="SO-1001-auth-1", can_handle_pending_authorization=True,
        merchant_metadata={"merchantReferenceId": "SO-1001"},
    )  # fmt: skip
    assert isinstance(charge, Charge) and charge.pending
    assert _sent(recorder) == ("POST", "/sandbox/v2/charges", {
        "chargePermissionId": CP,
        "chargeAmount": {"amount": "99.90", "currencyCode": "EUR"},
        "captureNow": False,
        "canHandlePendingAuthorization": True,
        "merchantMetadata": {"merchantReferenceId": "SO-1001"},
    })  # fmt: skip
    verify_wire_request(recorder.requests[-1], key.public)


def test_capture_posts_the_amount_and_soft_descriptor(make_client, recorder) -> None:
    recorder.answers.append(
        json_response(
            200,
            charge_json(
                CHARGE,
                "Captured",
                captureAmount={"amount": "500", "currencyCode": "JPY"},
                amount="500",
                currency="JPY",
            ),
        )
    )
    charge = make_client(region="jp").capture_charge(
        CHARGE, capture_amount=Money(500, "JPY"), idempotency_key="inv-1-cap-1",
        soft_descriptor="SHOP 4711",
    )  # fmt: skip
    assert charge.capture_amount == Money(500, "JPY")
    assert _sent(recorder) == ("POST", f"/sandbox/v2/charges/{CHARGE}/capture", {
        "captureAmount": {"amount": "500", "currencyCode": "JPY"}, "softDescriptor": "SHOP 4711",
    })  # fmt: skip


def test_get_and_cancel_charge(make_client, recorder) -> None:
    recorder.answers += [
        json_response(200, charge_json(CHARGE)),
        json_response(200, charge_json(CHARGE, "Canceled")),
    ]
    client = make_client()
    assert client.get_charge(CHARGE).charge_id == CHARGE
    assert _sent(recorder) == ("GET", f"/sandbox/v2/charges/{CHARGE}", None)
    assert recorder.requests[-1].content == b""
    assert "x-amz-pay-idempotency-key" not in recorder.requests[-1].headers
    assert client.cancel_charge(CHARGE, cancellation_reason="Order canceled").state == "Canceled"
    assert _sent(recorder) == (
        "DELETE",
        f"/sandbox/v2/charges/{CHARGE}/cancel",
        {"cancellationReason": "Order canceled"},
    )


def test_charge_permission_get_update_and_close(make_client, recorder) -> None:
    recorder.respond = lambda request: json_response(200, charge_permission_json(CP))
    client = make_client()
    assert isinstance(client.get_charge_permission(CP), ChargePermission)
    assert _sent(recorder) == ("GET", f"/sandbox/v2/chargePermissions/{CP}", None)
    client.update_charge_permission(CP, merchant_metadata={"merchantReferenceId": "SO-1"})
    assert _sent(recorder) == (
        "PATCH",
        f"/sandbox/v2/chargePermissions/{CP}",
        {"merchantMetadata": {"merchantReferenceId": "SO-1"}},
    )
    client.close_charge_permission(CP, closure_reason="Order canceled", cancel_pending_charges=True)
    assert _sent(recorder) == (
        "DELETE",
        f"/sandbox/v2/chargePermissions/{CP}/close",
        {"closureReason": "Order canceled", "cancelPendingCharges": True},
    )


def test_refund_create_and_get(make_client, recorder) -> None:
    recorder.answers += [
        json_response(201, refund_json()),
        json_response(200, refund_json(state="Refunded")),
    ]
    client = make_client()
    refund = client.create_refund(
        charge_id=CHARGE, refund_amount=Money("5.00", "EUR"), idempotency_key="CN-77-refund-1"
    )
    assert isinstance(refund, Refund) and refund.pending
    assert _sent(recorder) == (
        "POST",
        "/sandbox/v2/refunds",
        {"chargeId": CHARGE, "refundAmount": {"amount": "5.00", "currencyCode": "EUR"}},
    )
    assert recorder.requests[-1].headers["x-amz-pay-idempotency-key"] == "CN-77-refund-1"
    assert client.get_refund(refund.refund_id).state == "Refunded"
    assert _sent(recorder)[:2] == ("GET", f"/sandbox/v2/refunds/{refund.refund_id}")


@pytest.mark.parametrize(
    "bad_key", ["", "x" * 33, "has space", "umlaut-ä", "semi;colon", "newline\n", None]
)
def test_a_bad_idempotency_key_is_refused_before_sending(bad_key, make_client, recorder):
    with pytest.raises(ValueError, match="idempotency key must be 1-32 characters"):
        make_client().create_refund(
            charge_id=CHARGE, refund_amount=Money("5.00", "EUR"), idempotency_key=bad_key
        )
    assert recorder.requests == []


def test_the_longest_allowed_idempotency_key_is_sent_unchanged(make_client, recorder) -> None:
    recorder.answers.append(json_response(201, refund_json()))
    key = "A-z_0" + "9" * 27
    make_client().create_refund(
        charge_id=CHARGE, refund_amount=Money("5.00", "EUR"), idempotency_key=key
    )
    assert recorder.requests[0].headers["x-amz-pay-idempotency-key"] == key


def test_simulation_code_is_sent_unsigned_and_validated(make_client, recorder, key) -> None:
    recorder.answers.append(json_response(200, charge_json(CHARGE, "CaptureInitiated")))
    client = make_client()
    client.capture_charge(
        CHARGE,
        capture_amount=Money("1.00", "EUR"),
        idempotency_key="cap-1",
        simulation_code="CaptureInitiated",
    )
    request = recorder.requests[0]
    assert request.headers["x-amz-pay-simulation-code"] == "CaptureInitiated"
    assert (
        "x-amz-pay-simulation-code" not in verify_wire_request(request, key.public)["SignedHeaders"]
    )
    with pytest.raises(ValueError, match="simulation code"):
        client.get_charge(CHARGE, simulation_code="Bad Code\r\nX: 1")
    assert len(recorder.requests) == 1


def test_soft_descriptor_over_16_bytes_is_refused(make_client, recorder) -> None:
    with pytest.raises(ValueError, match="soft descriptor must be 1-16 bytes"):
        make_client().capture_charge(
            CHARGE,
            capture_amount=Money("1.00", "EUR"),
            idempotency_key="cap-1",
            soft_descriptor="x" * 17,
        )

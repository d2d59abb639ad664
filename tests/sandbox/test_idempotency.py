"""Idempotency on POST: replay, DuplicateIdempotencyKey, missing or malformed keys."""

from __future__ import annotations

from tests.sandbox.conftest import Running


def test_same_key_and_same_request_replays_the_stored_answer_without_a_second_charge(
    sandbox: Running,
):
    permission = sandbox.admin.checkout("50.00")
    first = sandbox.api.create_charge(permission, "20.00", "order-1-auth-1")
    again = sandbox.api.create_charge(permission, "20.00", "order-1-auth-1")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["x-amz-pay-request-id"] != first.headers["x-amz-pay-request-id"]
    assert sandbox.admin.ledger()["counts"]["charges"] == 1


def test_same_key_with_a_different_body_is_a_duplicate_idempotency_key(sandbox: Running):
    permission = sandbox.admin.checkout("50.00")
    assert sandbox.api.create_charge(permission, "20.00", "order-2-auth-1").status_code == 201
    changed = sandbox.api.create_charge(permission, "21.00", "order-2-auth-1")
    assert changed.status_code == 400
    assert changed.json()["reasonCode"] == "DuplicateIdempotencyKey"
    assert sandbox.admin.ledger()["counts"]["charges"] == 1


def test_same_key_on_a_different_path_is_a_duplicate_idempotency_key(sandbox: Running):
    _, charge = sandbox.authorized_charge("30.00")
    _, other = sandbox.authorized_charge("30.00")
    assert sandbox.api.capture(charge, "30.00", "capture-key").status_code == 200
    reused = sandbox.api.capture(other, "30.00", "capture-key")
    assert reused.status_code == 400
    assert reused.json()["reasonCode"] == "DuplicateIdempotencyKey"


def test_an_error_answer_is_stored_and_replayed_too(sandbox: Running):
    permission = sandbox.admin.checkout("10.00")
    first = sandbox.api.create_charge(permission, "99.00", "too-much")
    assert first.status_code == 422
    assert first.json()["reasonCode"] == "TransactionAmountExceeded"
    again = sandbox.api.create_charge(permission, "99.00", "too-much")
    assert (again.status_code, again.content) == (422, first.content)


def test_post_without_idempotency_key_is_a_missing_header(sandbox: Running):
    permission = sandbox.admin.checkout()
    body = {
        "chargePermissionId": permission,
        "chargeAmount": {"amount": "1.00", "currencyCode": "EUR"},
    }
    response = sandbox.api.call("POST", "charges", body)
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "MissingHeader"
    assert "x-amz-pay-idempotency-key" in response.json()["message"]
    assert sandbox.admin.ledger()["counts"]["charges"] == 0


def test_idempotency_key_longer_than_32_characters_is_refused(sandbox: Running):
    permission = sandbox.admin.checkout()
    response = sandbox.api.create_charge(permission, "1.00", "k" * 33)
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "InvalidHeaderValue"


def test_unsigned_idempotency_key_is_still_honoured(sandbox: Running):
    permission = sandbox.admin.checkout()
    body = {
        "chargePermissionId": permission,
        "chargeAmount": {"amount": "1.00", "currencyCode": "EUR"},
    }
    first = sandbox.api.call(
        "POST", "charges", body, key="unsigned-key", unsigned=("x-amz-pay-idempotency-key",)
    )
    again = sandbox.api.call(
        "POST", "charges", body, key="unsigned-key", unsigned=("x-amz-pay-idempotency-key",)
    )
    assert first.status_code == 201
    assert again.content == first.content

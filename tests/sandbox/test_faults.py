"""Fault injection: 5xx answers, latency, and connections dropped after the commit."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from sandbox.faults import FaultSettings
from tests.sandbox.conftest import Running


def _faults(sandbox: Running, **settings) -> None:
    response = sandbox.admin.http.put("/_admin/faults", json=settings)
    assert response.status_code == 200, response.text


def test_injected_errors_answer_5xx_with_amazons_codes_and_change_nothing(sandbox: Running):
    permission = sandbox.admin.checkout()
    _faults(sandbox, errorRate=1.0, errorStatuses=[503])
    response = sandbox.api.create_charge(permission, "10.00", sandbox.key())
    assert response.status_code == 503
    assert response.json()["reasonCode"] == "ServiceUnavailable"
    assert response.headers["x-amz-pay-request-id"]
    _faults(sandbox, errorRate=1.0, errorStatuses=[500])
    assert sandbox.api.get(f"chargePermissions/{permission}").json()["reasonCode"] == (
        "InternalServerError"
    )
    assert sandbox.admin.ledger()["counts"]["charges"] == 0


def test_a_retry_after_an_injected_error_with_the_same_key_succeeds_once(sandbox: Running):
    permission = sandbox.admin.checkout()
    _faults(sandbox, errorRate=1.0, operations=["Create Charge"])
    assert sandbox.api.create_charge(permission, "10.00", "retry-me").status_code >= 500
    _faults(sandbox)
    assert sandbox.api.create_charge(permission, "10.00", "retry-me").status_code == 201
    assert sandbox.admin.ledger()["counts"]["charges"] == 1


def test_error_injection_is_reproducible_with_the_same_seed(sandbox: Running):
    permission = sandbox.admin.checkout()

    def pattern() -> list[int]:
        _faults(sandbox, errorRate=0.5, seed=7)
        return [sandbox.api.get(f"chargePermissions/{permission}").status_code for _ in range(12)]

    first = pattern()
    assert first == pattern()
    assert {200} < set(first) <= {200, 500, 503}


def test_injected_latency_delays_the_answer(sandbox: Running):
    permission = sandbox.admin.checkout()
    _faults(sandbox, latencyMs=300)
    started = time.monotonic()
    assert sandbox.api.get(f"chargePermissions/{permission}").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_dropped_connection_after_commit_leaves_the_charge_and_the_retry_replays_it(
    sandbox: Running,
):
    permission = sandbox.admin.checkout()
    _faults(sandbox, dropAfterCommitRate=1.0, operations=["Create Charge"])
    with pytest.raises(httpx.TransportError):
        sandbox.api.create_charge(permission, "10.00", "dropped-1")
    ledger = sandbox.admin.ledger()
    assert ledger["counts"]["charges"] == 1
    stored = ledger["charges"][0]
    assert stored["statusDetails"]["state"] == "Authorized"
    # Healing: the same idempotency key answers with the charge that was created.
    retry = sandbox.api.create_charge(permission, "10.00", "dropped-1")
    assert retry.status_code == 201
    assert retry.json()["chargeId"] == stored["chargeId"]
    assert sandbox.admin.ledger()["counts"]["charges"] == 1


def test_drops_never_hit_reads(sandbox: Running):
    permission = sandbox.admin.checkout()
    _faults(sandbox, dropAfterCommitRate=1.0)
    assert sandbox.api.get(f"chargePermissions/{permission}").status_code == 200


@pytest.mark.parametrize(
    "settings",
    [{"errorRate": 2}, {"errorStatuses": [502]}, {"latencyMs": -1}, {"bogus": 1}],
)
def test_invalid_fault_settings_are_refused(sandbox: Running, settings):
    response = sandbox.admin.http.put("/_admin/faults", json=settings)
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "InvalidRequest"


def test_fault_settings_round_trip_as_json():
    settings = FaultSettings.from_json({"errorRate": 0.25, "operations": ["Get Charge"], "seed": 3})
    assert FaultSettings.from_json(settings.to_json()) == settings


def test_dropped_cancel_still_cancels_and_a_reread_shows_it(sandbox: Running):
    _, charge = sandbox.authorized_charge("10.00")
    _faults(sandbox, dropAfterCommitRate=1.0, operations=["Cancel Charge"])
    with pytest.raises(httpx.TransportError):
        sandbox.api.call("DELETE", f"charges/{charge}/cancel", {})
    state = sandbox.api.get(f"charges/{charge}").json()["statusDetails"]
    assert (state["state"], state["reasonCode"]) == ("Canceled", "MerchantCanceled")


def test_latency_after_commit_holds_the_answer_while_the_change_is_visible(sandbox: Running):
    permission = sandbox.admin.checkout()
    _faults(sandbox, latencyAfterCommitMs=1500, operations=["Create Charge"])
    result: dict[str, httpx.Response] = {}
    worker = threading.Thread(
        target=lambda: result.update(
            answer=sandbox.client(sandbox.api.signer).create_charge(permission, "10.00", "held")
        )
    )
    started = time.monotonic()
    worker.start()
    deadline = started + 5
    while sandbox.admin.ledger()["counts"]["charges"] == 0:
        assert time.monotonic() < deadline, "the charge never appeared"
        time.sleep(0.02)
    assert worker.is_alive(), "the answer was not held back"
    worker.join(timeout=10)
    assert result["answer"].status_code == 201
    assert time.monotonic() - started >= 1.5

"""Sandbox simulation codes (x-amz-pay-simulation-code)."""

from __future__ import annotations

import pytest

from tests.sandbox.amazon import Signer
from tests.sandbox.conftest import LEGACY_KEY_ID, REPO, Running


def _status(response) -> tuple[str, str | None]:
    details = response.json()["statusDetails"]
    return details["state"], details["reasonCode"]


@pytest.mark.parametrize(
    "code",
    ["SoftDeclined", "HardDeclined", "AmazonRejected", "ProcessingFailure", "TransactionTimedOut"],
)
def test_synchronous_decline_answers_the_code_and_persists_no_charge(sandbox: Running, code):
    permission = sandbox.admin.checkout()
    response = sandbox.api.create_charge(permission, "10.00", sandbox.key(), simulation=code)
    assert response.status_code == 422
    assert response.json()["reasonCode"] == code
    assert sandbox.admin.ledger()["counts"]["charges"] == 0


def test_hard_decline_makes_the_permission_non_chargeable_and_soft_decline_does_not(
    sandbox: Running,
):
    soft = sandbox.admin.checkout()
    sandbox.api.create_charge(soft, "10.00", sandbox.key(), simulation="SoftDeclined")
    assert (
        sandbox.api.get(f"chargePermissions/{soft}").json()["statusDetails"]["state"]
        == "Chargeable"
    )
    hard = sandbox.admin.checkout()
    sandbox.api.create_charge(hard, "10.00", sandbox.key(), simulation="HardDeclined")
    details = sandbox.api.get(f"chargePermissions/{hard}").json()["statusDetails"]
    assert details["state"] == "NonChargeable"
    assert details["reasons"][0]["reasonCode"] == "PaymentMethodInvalid"


def test_pending_authorization_later_authorizes(sandbox: Running):
    permission = sandbox.admin.checkout()
    created = sandbox.api.create_charge(
        permission,
        "10.00",
        sandbox.key(),
        simulation="AuthorizationInitiated",
        canHandlePendingAuthorization=True,
    )
    assert created.status_code == 201
    assert _status(created) == ("AuthorizationInitiated", None)
    charge = created.json()["chargeId"]
    sandbox.admin.advance(seconds=30)
    assert _status(sandbox.api.get(f"charges/{charge}")) == ("Authorized", None)


def test_pending_authorization_later_declines_with_the_code(sandbox: Running):
    permission = sandbox.admin.checkout()
    created = sandbox.api.create_charge(
        permission,
        "10.00",
        sandbox.key(),
        simulation="HardDeclined",
        canHandlePendingAuthorization=True,
    )
    assert _status(created) == ("AuthorizationInitiated", None)
    sandbox.admin.advance(seconds=30)
    charge = sandbox.api.get(f"charges/{created.json()['chargeId']}")
    assert _status(charge) == ("Declined", "HardDeclined")


def test_pending_code_without_can_handle_pending_is_an_invalid_simulation(sandbox: Running):
    permission = sandbox.admin.checkout()
    response = sandbox.api.create_charge(
        permission, "10.00", sandbox.key(), simulation="AuthorizationInitiated"
    )
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "InvalidSandboxSimulationSpecified"


def test_pending_authorization_can_be_canceled_before_it_resolves(sandbox: Running):
    permission = sandbox.admin.checkout()
    created = sandbox.api.create_charge(
        permission,
        "10.00",
        sandbox.key(),
        simulation="AuthorizationInitiated",
        canHandlePendingAuthorization=True,
    )
    charge = created.json()["chargeId"]
    canceled = sandbox.api.call("DELETE", f"charges/{charge}/cancel", {})
    assert _status(canceled) == ("Canceled", "MerchantCanceled")
    sandbox.admin.advance(seconds=60)
    assert _status(sandbox.api.get(f"charges/{charge}")) == ("Canceled", "MerchantCanceled")


def test_capture_initiated_code_captures_after_the_delay(sandbox: Running):
    _, charge = sandbox.authorized_charge("10.00")
    response = sandbox.api.capture(charge, "10.00", sandbox.key(), simulation="CaptureInitiated")
    assert _status(response) == ("CaptureInitiated", None)
    sandbox.admin.advance(seconds=30)
    assert _status(sandbox.api.get(f"charges/{charge}")) == ("Captured", None)


def test_capture_amazon_rejected_code_declines_after_the_delay(sandbox: Running):
    _, charge = sandbox.authorized_charge("10.00")
    response = sandbox.api.capture(charge, "10.00", sandbox.key(), simulation="AmazonRejected")
    assert _status(response) == ("CaptureInitiated", None)
    sandbox.admin.advance(seconds=30)
    assert _status(sandbox.api.get(f"charges/{charge}")) == ("Declined", "AmazonRejected")


def test_unknown_code_is_an_invalid_sandbox_simulation(sandbox: Running):
    permission = sandbox.admin.checkout()
    response = sandbox.api.create_charge(permission, "10.00", sandbox.key(), simulation="Bogus")
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "InvalidSandboxSimulationSpecified"
    on_get = sandbox.api.get(f"chargePermissions/{permission}", simulation="HardDeclined")
    assert on_get.json()["reasonCode"] == "InvalidSandboxSimulationSpecified"


def test_simulation_codes_are_refused_in_the_live_environment(sandbox: Running, private_key):
    live = sandbox.client(Signer(LEGACY_KEY_ID, private_key), prefix="/live/v2")
    permission = sandbox.admin.checkout(environment="Live")
    assert permission.startswith("P01-")
    response = live.create_charge(permission, "10.00", "live-1", simulation="HardDeclined")
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "InvalidSandboxSimulationSpecified"
    assert live.create_charge(permission, "10.00", "live-2").status_code == 201


@pytest.mark.parametrize(
    ("card", "outcome"),
    [("Visa ****0701", ("Authorized", None)), ("Visa ****4354", ("Declined", "HardDeclined"))],
)
def test_test_cards_authorize_pending_then_resolve_after_the_delay(sandbox: Running, card, outcome):
    permission = sandbox.admin.checkout(paymentDescriptor=card)
    body = sandbox.api.get(f"chargePermissions/{permission}").json()
    assert body["paymentPreferences"] == [{"paymentDescriptor": card}]
    created = sandbox.api.create_charge(
        permission, "10.00", sandbox.key(), canHandlePendingAuthorization=True
    )
    assert _status(created) == ("AuthorizationInitiated", None)
    sandbox.admin.advance(seconds=30)
    assert _status(sandbox.api.get(f"charges/{created.json()['chargeId']}")) == outcome


@pytest.mark.parametrize(
    ("card", "code"), [("Visa ****0701", "TransactionTimedOut"), ("Visa ****4354", "HardDeclined")]
)
def test_test_cards_without_pending_support_decline_at_once(sandbox: Running, card, code):
    permission = sandbox.admin.checkout(paymentDescriptor=card)
    response = sandbox.api.create_charge(permission, "10.00", sandbox.key())
    assert (response.status_code, response.json()["reasonCode"]) == (422, code)


def test_header_code_overrides_the_test_card(sandbox: Running):
    permission = sandbox.admin.checkout(paymentDescriptor="Visa ****4354")
    created = sandbox.api.create_charge(
        permission,
        "10.00",
        sandbox.key(),
        simulation="AuthorizationInitiated",
        canHandlePendingAuthorization=True,
    )
    sandbox.admin.advance(seconds=30)
    assert _status(sandbox.api.get(f"charges/{created.json()['chargeId']}")) == ("Authorized", None)


def test_ordinary_card_authorizes_at_once_even_when_pending_is_allowed(sandbox: Running):
    permission = sandbox.admin.checkout(paymentDescriptor="Visa ****1111")
    created = sandbox.api.create_charge(
        permission, "10.00", sandbox.key(), canHandlePendingAuthorization=True
    )
    assert _status(created) == ("Authorized", None)


def test_the_late_card_answers_only_after_the_fifteen_minute_wait(sandbox: Running):
    permission = sandbox.admin.checkout(paymentDescriptor="Visa ****0720")
    created = sandbox.api.create_charge(
        permission, "10.00", sandbox.key(), canHandlePendingAuthorization=True
    )
    charge = f"charges/{created.json()['chargeId']}"
    sandbox.admin.advance(minutes=15, seconds=30)
    assert _status(sandbox.api.get(charge)) == ("AuthorizationInitiated", None)
    sandbox.admin.advance(minutes=5)
    assert _status(sandbox.api.get(charge)) == ("Authorized", None)


def test_the_late_card_without_pending_support_declines_at_once(sandbox: Running):
    permission = sandbox.admin.checkout(paymentDescriptor="Visa ****0720")
    response = sandbox.api.create_charge(permission, "10.00", sandbox.key())
    assert (response.status_code, response.json()["reasonCode"]) == (422, "TransactionTimedOut")


def test_every_test_card_is_in_the_checkout_help_and_the_readme():
    from typer.testing import CliRunner

    from cli.sandbox import app
    from sandbox.simulation import CARD_LATER_DECLINES, CARD_SIMULATIONS, TEST_CARDS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    help_text = " ".join(CliRunner().invoke(app, ["checkout", "--help"]).output.split())
    assert {card[-4:] for card in TEST_CARDS} == set(CARD_SIMULATIONS) | set(CARD_LATER_DECLINES)
    for card in TEST_CARDS:
        assert card in readme
        assert card[-4:] in help_text

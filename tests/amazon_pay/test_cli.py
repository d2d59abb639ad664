"""`amazon` CLI: prints the object as JSON; one line on stderr and a non-zero exit otherwise."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from adapters.amazon_pay import AmazonPayClient, RetryPolicy
from cli.amazon import CLIENT_FACTORY_KEY, app
from tests.amazon_pay.fakes import (
    FakeClock,
    Recorder,
    charge_json,
    charge_permission_json,
    error_response,
    json_response,
    refund_json,
    verify_wire_request,
)

runner = CliRunner()


@pytest.fixture
def env(monkeypatch, tmp_path, key) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env file
    for name in ("MERCHANT_ID", "BASE_URL", "ALGORITHM"):
        monkeypatch.delenv(f"AMAZON_PAY_{name}", raising=False)
    monkeypatch.setenv("AMAZON_PAY_PUBLIC_KEY_ID", "SANDBOX-AHXY7KNWZQTDS3SLU5JEXAMPL")
    monkeypatch.setenv("AMAZON_PAY_PRIVATE_KEY", key.pkcs8().decode())
    monkeypatch.setenv("AMAZON_PAY_REGION", "EU")
    monkeypatch.setenv("AMAZON_PAY_SANDBOX", "true")


def _invoke(recorder: Recorder, *args: str):
    def factory(settings):
        return AmazonPayClient.from_settings(
            settings, transport=recorder.transport(), clock=FakeClock(),
            retry=RetryPolicy(max_attempts=1),
        )  # fmt: skip

    return runner.invoke(app, list(args), obj={CLIENT_FACTORY_KEY: factory})


@pytest.mark.parametrize(
    ("command", "object_id", "answer", "path", "id_field"),
    [
        (
            "get-charge",
            "S01-1-1-C1",
            charge_json("S01-1-1-C1"),
            "/v2/charges/S01-1-1-C1",
            "chargeId",
        ),
        (
            "get-refund",
            "S01-1-1-R1",
            refund_json("S01-1-1-R1"),
            "/v2/refunds/S01-1-1-R1",
            "refundId",
        ),
        (
            "get-charge-permission",
            "S01-1-1",
            charge_permission_json("S01-1-1"),
            "/v2/chargePermissions/S01-1-1",
            "chargePermissionId",
        ),
    ],
)
def test_each_command_prints_the_object_as_json(
    env, key, command, object_id, answer, path, id_field
) -> None:
    recorder = Recorder(answers=[json_response(200, answer)])
    result = _invoke(recorder, command, object_id)
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed[id_field] == object_id
    assert printed["statusDetails"]["state"] == answer["statusDetails"]["state"]
    (request,) = recorder.requests
    assert request.url.path == path
    verify_wire_request(request, key.public)


def test_amounts_are_printed_as_amazon_price_objects(env) -> None:
    recorder = Recorder(answers=[json_response(200, charge_json(amount=500, currency="JPY"))])
    printed = json.loads(_invoke(recorder, "get-charge", "S01-1-1-C1").stdout)
    assert printed["chargeAmount"] == {"amount": "500", "currencyCode": "JPY"}


def test_an_api_error_is_one_line_on_stderr_with_exit_code_1(env) -> None:
    recorder = Recorder(
        answers=[
            error_response(
                404, "ResourceNotFound", "No such charge", {"x-amz-pay-request-id": "r-9"}
            )
        ]
    )
    result = _invoke(recorder, "get-charge", "S01-1-1-C9")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: HTTP 404 ResourceNotFound: No such charge (x-amz-pay-request-id r-9)\n"
    )


def test_a_connection_failure_is_one_line_with_exit_code_1(env) -> None:
    result = _invoke(Recorder(answers=[httpx.ConnectError("refused")]), "get-refund", "R1")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "ConnectError" in result.stderr


def test_a_bad_id_is_a_usage_error_with_exit_code_2(env) -> None:
    recorder = Recorder()
    result = _invoke(recorder, "get-charge", "a/b")
    assert result.exit_code == 2 and recorder.requests == []
    assert result.stderr.startswith("error: charge_id must be") and result.stderr.count("\n") == 1


def test_a_bad_setting_names_the_variable(env, monkeypatch) -> None:
    monkeypatch.setenv("AMAZON_PAY_REGION", "mars")
    result = _invoke(Recorder(), "get-charge", "C1")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid AMAZON_PAY_REGION:")
    assert result.stderr.count("\n") == 1


def test_a_broken_key_is_reported_without_the_key(env, monkeypatch, key) -> None:
    monkeypatch.setenv("AMAZON_PAY_PRIVATE_KEY", key.pkcs8().decode()[:300])
    result = runner.invoke(app, ["get-charge", "C1"])  # the real factory: fails before sending
    assert result.exit_code == 2
    assert "not a readable unencrypted PEM key" in result.stderr
    assert key.pkcs8().decode()[40:100] not in result.stderr + result.stdout


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "get-charge-permission" in result.output

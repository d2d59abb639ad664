"""The private key never shows in a repr, a log line or an error, however the key is broken."""

from __future__ import annotations

import logging
import traceback

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from adapters.amazon_pay import AmazonPayClient, ConfigurationError
from adapters.amazon_pay.signing import RequestSigner
from adapters.private_key import key_pem, read_key_file, redact
from adapters.settings import AmazonPaySettings
from tests.amazon_pay.fakes import GeneratedKey, charge_json, error_response, json_response


def _key_lines(pem: bytes) -> list[str]:
    """The base64 body lines of a PEM: any of them showing up would be a leak."""
    return [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]


def _assert_no_key_material(text: str, pem: bytes) -> None:
    assert "PRIVATE KEY" not in text
    for line in _key_lines(pem):
        assert line not in text


def _full_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + str(error.args)


def test_client_and_signer_reprs_show_the_key_id_but_not_the_key(make_client, key) -> None:
    client = make_client()
    text = repr(client) + repr(client._session) + repr(client._session.signer)
    assert "AHXY7KNWZQTDS3SLU5JEXAMPL" in repr(client)
    _assert_no_key_material(text, key.pkcs8())


def test_settings_repr_and_dump_hide_the_key(key: GeneratedKey) -> None:
    pem = key.pkcs1()
    settings = AmazonPaySettings(public_key_id="K", private_key=SecretStr(pem.decode()))
    text = repr(settings) + str(settings) + str(settings.model_dump()) + settings.model_dump_json()
    _assert_no_key_material(text, pem)
    assert settings.private_key_pem() == pem  # re-wrapped: the same PEM, newline-terminated


@pytest.mark.parametrize("damage", ["truncate", "corrupt", "no-header"])
def test_a_broken_key_fails_with_a_message_that_contains_none_of_it(damage, key) -> None:
    pem = key.pkcs8()
    lines = pem.decode().splitlines()
    if damage == "truncate":
        broken = "\n".join(lines[:8] + lines[-1:]).encode()
    elif damage == "corrupt":
        broken = "\n".join(lines[:5] + [lines[5][::-1]] + lines[6:]).encode()
    else:
        broken = "\n".join(lines[1:-1]).encode()
    with pytest.raises(ConfigurationError) as caught:
        AmazonPayClient("K", broken)
    _assert_no_key_material(_full_text(caught.value), pem)
    assert "not a readable unencrypted PEM key" in str(caught.value)


def test_an_encrypted_or_non_rsa_key_is_refused_without_showing_it(key) -> None:
    encrypted = key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )  # fmt: skip
    with pytest.raises(ConfigurationError) as caught:
        RequestSigner("K", encrypted, "AMZN-PAY-RSASSA-PSS")
    _assert_no_key_material(_full_text(caught.value), encrypted)
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    with pytest.raises(ConfigurationError, match="not an RSA key") as caught:
        RequestSigner("K", ec_pem, "AMZN-PAY-RSASSA-PSS")
    _assert_no_key_material(_full_text(caught.value), ec_pem)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("MIIEvQIBADANBgkqhkiG9w0BAQEF", "not a readable unencrypted PEM key"),  # cut-off body
        ("MIIEvQIBADANBgkqhkiG9w0BAQEF!?", "neither PEM text"),
        ("/no/such/folder/MIIEvQIBADANBgkqhkiG9w0BAQEF.pem", "neither PEM text"),
    ],
)
def test_a_key_setting_that_is_neither_a_key_nor_a_file_is_not_echoed(value, problem) -> None:
    settings = AmazonPaySettings(public_key_id="K", private_key=SecretStr(value))
    with pytest.raises(ConfigurationError) as caught:
        AmazonPayClient.from_settings(settings)
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEF" not in _full_text(caught.value)
    assert problem in str(caught.value)
    assert caught.value.__context__ is None and caught.value.__cause__ is None


def test_a_key_setting_may_be_a_path_to_a_pem_file(tmp_path, key, recorder) -> None:
    path = tmp_path / "amazon-pay.pem"
    path.write_bytes(key.pkcs1())
    settings = AmazonPaySettings(public_key_id="K", private_key=SecretStr(str(path)))
    client = AmazonPayClient.from_settings(settings, transport=recorder.transport())
    assert client.endpoint.environment == "sandbox"


def test_log_lines_of_a_retried_call_carry_no_key_or_signature(
    make_client, recorder, key, caplog
) -> None:
    recorder.answers += [
        error_response(503, "ServiceUnavailable"),
        json_response(200, charge_json()),
    ]
    with caplog.at_level(logging.DEBUG):
        make_client().get_charge("C1")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "Get Charge" in text and "retrying" in text
    _assert_no_key_material(text, key.pkcs8())
    signature = recorder.requests[0].headers["authorization"].rsplit("Signature=", 1)[1]
    assert signature not in text and "authorization" not in text.lower()


def test_a_key_file_path_with_a_tilde_or_quotes_is_read(tmp_path, key, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "amazon-pay.pem").write_bytes(key.pkcs8())
    for value in ("~/amazon-pay.pem", f'"{tmp_path / "amazon-pay.pem"}"'):
        assert key_pem(value) == key.pkcs8()


def test_an_unreadable_key_file_says_why_but_not_where(tmp_path, key) -> None:
    folder = tmp_path / "MIIEvQIBADANBgkqhkiG9w0BAQEF.pem"
    folder.mkdir()
    with pytest.raises(ValueError) as caught:
        read_key_file(folder)
    assert "cannot be read" in str(caught.value) and "MIIEvQ" not in str(caught.value)
    assert caught.value.__context__ is None


def test_redact_blanks_every_run_that_shares_a_part_with_the_secret(key) -> None:
    lines = _key_lines(key.pkcs8())
    message = f"bad: {lines[3][5:30]}xyz and {lines[4]} but not HTTP 404 or S01-1234567-1234567"
    redacted = redact(message, key.pkcs8().decode())
    assert lines[4] not in redacted and lines[3][5:30] not in redacted
    assert "HTTP 404" in redacted and "S01-1234567-1234567" in redacted

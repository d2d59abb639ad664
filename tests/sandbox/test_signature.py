"""Signature verification: the shared vectors, and signed requests accepted or refused."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest

from sandbox.signature import (
    canonical_query,
    canonical_request,
    canonical_uri,
    parse_authorization,
    string_to_sign,
)
from tests.sandbox.amazon import Signer
from tests.sandbox.conftest import KEY_ID, LEGACY_KEY_ID, Running


def _vectors(samples_dir):
    path = samples_dir / "signing_vectors" / "amazon-pay-string-to-sign.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return json.loads(path.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("query_encoder", ["urlencode", "rfc3986"])
def test_canonical_request_of_received_bytes_matches_every_shared_vector(
    samples_dir, query_encoder
):
    cases = _vectors(samples_dir)
    assert len(cases) >= 30
    for case in cases:
        # What a client puts on the wire: the path percent-encoded, the parameters encoded.
        raw_path = quote(case["uri"])
        pairs = [(k, v) for k, values in case["parameters"].items() for v in values]
        if query_encoder == "urlencode":
            raw_query = urlencode(pairs)
        else:
            raw_query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
        headers = case["headers"]
        built = canonical_request(
            case["method"],
            canonical_uri(raw_path),
            canonical_query(raw_query),
            headers,
            sorted(headers),
            case["payload"].encode(),
        )
        assert built == case["canonicalRequest"], case["name"]
        assert string_to_sign(case["algorithm"], built) == case["stringToSign"], case["name"]


def test_authorization_header_parts_are_parsed_with_base64_padding_kept():
    auth = parse_authorization(
        "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-X, "
        "SignedHeaders=accept;content-type;x-amz-pay-date, Signature=abc+/=="
    )
    assert auth.algorithm == "AMZN-PAY-RSASSA-PSS-V2"
    assert auth.public_key_id == "SANDBOX-X"
    assert auth.signed_headers == ("accept", "content-type", "x-amz-pay-date")
    assert auth.signature == "abc+/=="


@pytest.mark.parametrize("algorithm", ["AMZN-PAY-RSASSA-PSS", "AMZN-PAY-RSASSA-PSS-V2"])
def test_signed_request_with_either_algorithm_is_accepted(sandbox: Running, private_key, algorithm):
    permission = sandbox.admin.checkout()
    api = sandbox.client(Signer(KEY_ID, private_key, algorithm))
    response = api.get(f"chargePermissions/{permission}")
    assert response.status_code == 200, response.text
    assert response.json()["chargePermissionId"] == permission
    assert response.headers["x-amz-pay-request-id"]


@pytest.mark.parametrize(
    ("algorithm", "salt"), [("AMZN-PAY-RSASSA-PSS-V2", 20), ("AMZN-PAY-RSASSA-PSS", 32)]
)
def test_signature_with_the_other_algorithms_salt_is_refused(
    sandbox: Running, private_key, algorithm, salt
):
    permission = sandbox.admin.checkout()
    api = sandbox.client(Signer(KEY_ID, private_key, algorithm, salt=salt))
    response = api.get(f"chargePermissions/{permission}")
    assert response.status_code == 401
    assert response.json()["reasonCode"] == "InvalidRequestSignature"
    assert response.headers["x-amz-pay-request-id"]


def test_signature_made_with_an_unregistered_private_key_is_refused(sandbox: Running, other_key):
    permission = sandbox.admin.checkout()
    response = sandbox.client(Signer(KEY_ID, other_key)).get(f"chargePermissions/{permission}")
    assert response.status_code == 401
    assert response.json()["reasonCode"] == "InvalidRequestSignature"


def test_unknown_public_key_id_is_refused(sandbox: Running, private_key):
    api = sandbox.client(Signer("SANDBOX-NOBODY", private_key))
    response = api.get("chargePermissions/S01-0000000-0000000")
    assert response.status_code == 401
    assert "unknown public key id" in response.json()["message"]


def test_body_changed_after_signing_is_refused(sandbox: Running):
    permission = sandbox.admin.checkout()
    signed = {
        "chargePermissionId": permission,
        "chargeAmount": {"amount": "1.00", "currencyCode": "EUR"},
    }
    tampered = json.dumps({**signed, "chargeAmount": {"amount": "99.00", "currencyCode": "EUR"}})
    response = sandbox.api.call(
        "POST", "charges", signed, key=sandbox.key(), send_body=tampered.encode()
    )
    assert response.status_code == 401
    assert response.json()["reasonCode"] == "InvalidRequestSignature"
    assert sandbox.admin.ledger()["counts"]["charges"] == 0


@pytest.mark.parametrize(
    "header", ["accept", "content-type", "x-amz-pay-date", "x-amz-pay-host", "x-amz-pay-region"]
)
def test_mandatory_header_left_out_of_the_signature_is_a_missing_header(sandbox: Running, header):
    response = sandbox.api.get("chargePermissions/S01-0000000-0000000", unsigned=(header,))
    assert response.status_code == 400
    assert response.json() == {
        "reasonCode": "MissingHeader",
        "message": f"the {header} header must be signed",
    }


def test_request_without_authorization_is_a_missing_header(sandbox: Running):
    response = sandbox.api.http.get("/sandbox/v2/chargePermissions/S01-0000000-0000000")
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "MissingHeader"


def test_host_other_than_the_regions_amazon_host_is_refused(sandbox: Running):
    sandbox.api.host = "127.0.0.1"
    response = sandbox.api.get("chargePermissions/S01-0000000-0000000")
    assert response.status_code == 401
    assert "pay-api.amazon.eu" in response.json()["message"]


def test_region_is_compared_case_insensitively(sandbox: Running):
    permission = sandbox.admin.checkout()
    sandbox.api.region = "EU"
    assert sandbox.api.get(f"chargePermissions/{permission}").status_code == 200
    sandbox.api.region = "na"
    assert sandbox.api.get(f"chargePermissions/{permission}").status_code == 401


def test_date_within_fifteen_minutes_is_accepted_and_beyond_is_refused(sandbox: Running):
    permission = sandbox.admin.checkout()
    ok = sandbox.api.get(f"chargePermissions/{permission}", skew=timedelta(minutes=14))
    late = sandbox.api.get(f"chargePermissions/{permission}", skew=-timedelta(minutes=16))
    assert ok.status_code == 200
    assert late.status_code == 401
    assert "tolerance 900 s" in late.json()["message"]


@pytest.mark.parametrize(
    ("reference", "sandbox_time_ok", "real_time_ok"),
    [("sandbox", True, False), ("real", False, True), ("either", True, True)],
)
def test_skew_reference_decides_which_clock_the_date_must_be_close_to(
    start_sandbox, reference, sandbox_time_ok, real_time_ok
):
    sandbox: Running = start_sandbox(skew_reference=reference)
    permission = sandbox.admin.checkout()
    sandbox.admin.advance(hours=1)
    on_sandbox_time = sandbox.api.get(f"chargePermissions/{permission}")
    on_real_time = sandbox.api.get(f"chargePermissions/{permission}", skew=-timedelta(hours=1))
    assert (on_sandbox_time.status_code == 200) is sandbox_time_ok
    assert (on_real_time.status_code == 200) is real_time_ok
    off_both = sandbox.api.get(f"chargePermissions/{permission}", skew=-timedelta(minutes=30))
    assert off_both.status_code == 401


def test_query_parameters_are_part_of_the_signature(sandbox: Running):
    params = [
        ("reportTypes", "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SANDBOX_SETTLEMENT_DATA_"),
        ("pageSize", "5"),
    ]
    assert sandbox.api.get("reports", params=params).status_code == 200
    # Signed with pageSize=5 but sent with pageSize=6.
    api = sandbox.api
    good = api.call("GET", "reports", params=params)
    assert good.status_code == 200
    raw = f"{api.prefix}/reports"
    tampered = api.call("GET", "reports", params=params, raw_path=raw + "?pageSize=6&x=")
    assert tampered.status_code == 401


def test_trailing_slash_path_is_served_when_it_was_signed(sandbox: Running):
    permission = sandbox.admin.checkout()
    response = sandbox.api.get(f"chargePermissions/{permission}/")
    assert response.status_code == 200
    assert response.json()["chargePermissionId"] == permission


def test_env_specific_key_uses_plain_v2_and_legacy_key_needs_the_environment_path(
    sandbox: Running, private_key
):
    permission = sandbox.admin.checkout()
    plain = sandbox.client(Signer(KEY_ID, private_key), prefix="/v2")
    assert plain.get(f"chargePermissions/{permission}").status_code == 200
    legacy_plain = sandbox.client(Signer(LEGACY_KEY_ID, private_key), prefix="/v2")
    refused = legacy_plain.get(f"chargePermissions/{permission}")
    assert refused.status_code == 400
    assert refused.json()["reasonCode"] == "InvalidRequest"
    legacy = sandbox.client(Signer(LEGACY_KEY_ID, private_key), prefix="/sandbox/v2")
    assert legacy.get(f"chargePermissions/{permission}").status_code == 200


def test_sandbox_objects_are_not_visible_in_the_live_environment(sandbox: Running, private_key):
    permission = sandbox.admin.checkout()
    live = sandbox.client(Signer(LEGACY_KEY_ID, private_key), prefix="/live/v2")
    response = live.get(f"chargePermissions/{permission}")
    assert response.status_code == 404
    assert response.json()["reasonCode"] == "ResourceNotFound"


def test_public_key_registered_through_admin_is_accepted(sandbox: Running, other_key):
    from tests.sandbox.amazon import public_pem

    api = sandbox.client(Signer("SANDBOX-LATE", other_key))
    assert api.get("reports").status_code == 401
    registered = sandbox.admin.http.post(
        "/_admin/keys", json={"publicKeyId": "SANDBOX-LATE", "publicKeyPem": public_pem(other_key)}
    )
    assert registered.status_code == 201
    assert api.get("reports").status_code == 200


def test_malformed_authorization_header_is_an_invalid_header_value(sandbox: Running):
    response = sandbox.api.http.get(
        "/sandbox/v2/reports", headers={"authorization": "AMZN-PAY-RSASSA-PSS-V3 PublicKeyId=x"}
    )
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "InvalidHeaderValue"
    missing = sandbox.api.http.get(
        "/sandbox/v2/reports", headers={"authorization": "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=x"}
    )
    assert missing.status_code == 400
    assert "SignedHeaders, Signature" in missing.json()["message"]


def test_an_sdk_that_signs_the_host_and_port_it_reaches_is_accepted(sandbox: Running):
    permission = sandbox.admin.checkout()
    sandbox.api.host = sandbox.base_url.removeprefix("http://")  # 127.0.0.1:<port>
    assert sandbox.api.get(f"chargePermissions/{permission}").status_code == 200


def test_the_reached_host_is_still_verified_exactly(sandbox: Running, other_key):
    permission = sandbox.admin.checkout()
    reached_at = sandbox.base_url.removeprefix("http://")
    forged = sandbox.client(Signer(KEY_ID, other_key))
    forged.host = reached_at
    refused = forged.get(f"chargePermissions/{permission}")
    assert refused.status_code == 401
    assert refused.json()["reasonCode"] == "InvalidRequestSignature"
    port = reached_at.rpartition(":")[2]
    sandbox.api.host = f"127.0.0.1:{int(port) + 1}"  # signed, but not where it was sent
    wrong_port = sandbox.api.get(f"chargePermissions/{permission}")
    assert wrong_port.status_code == 401
    assert reached_at in wrong_port.json()["message"]


def test_accept_host_adds_a_name_and_nothing_else(start_sandbox):
    running = start_sandbox(accept_hosts=("pay.sandbox.local",))
    permission = running.admin.checkout()
    running.api.host = "pay.sandbox.local"
    assert running.api.get(f"chargePermissions/{permission}").status_code == 200
    running.api.host = "other.sandbox.local"
    assert running.api.get(f"chargePermissions/{permission}").status_code == 401

"""Path rules: SANDBOX-/LIVE- keys use /v2, legacy keys /sandbox/v2 or /live/v2; Amazon's host."""

from __future__ import annotations

import pytest

from adapters.amazon_pay import ConfigurationError
from adapters.amazon_pay.endpoints import path_segment, resolve_endpoint
from tests.amazon_pay.fakes import charge_json, json_response, verify_wire_request


@pytest.mark.parametrize(
    ("key_id", "sandbox", "path", "environment"),
    [
        ("SANDBOX-AHXY7KNWZQTDS3SLU5JEXAMPL", True, "/v2/charges/C1", "sandbox"),
        ("sandbox-ahxy7knwzqtds3slu5jexampl", False, "/v2/charges/C1", "sandbox"),
        ("LIVE-AHXY7KNWZQTDS3SLU5JEXAMPL", True, "/v2/charges/C1", "live"),
        ("Live-AHXY7KNWZQTDS3SLU5JEXAMPL", False, "/v2/charges/C1", "live"),
        ("AHXY7KNWZQTDS3SLU5JEXAMPL", True, "/sandbox/v2/charges/C1", "sandbox"),
        ("AHXY7KNWZQTDS3SLU5JEXAMPL", False, "/live/v2/charges/C1", "live"),
        ("LIVEAHXY7KNWZQTDS3SLU5JEX", True, "/sandbox/v2/charges/C1", "sandbox"),
    ],
)
def test_key_id_and_sandbox_setting_choose_path_and_environment(
    key_id, sandbox, path, environment, make_client, recorder, key
) -> None:
    recorder.answers.append(json_response(200, charge_json("C1-C1")))
    client = make_client(public_key_id=key_id, sandbox=sandbox)
    client.get_charge("C1")
    (request,) = recorder.requests
    assert request.url.path == path
    assert str(request.url).startswith("https://pay-api.amazon.eu/")
    assert client.endpoint.environment == environment
    verify_wire_request(request, key.public)


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("eu", "pay-api.amazon.eu"),
        ("na", "pay-api.amazon.com"),
        ("jp", "pay-api.amazon.jp"),
        ("US", "pay-api.amazon.com"),
        ("de", "pay-api.amazon.eu"),
    ],
)
def test_base_url_receives_the_request_while_signed_host_and_region_stay_amazons(
    region, host, make_client, recorder, key
) -> None:
    recorder.answers.append(json_response(200, charge_json("C1-C1")))
    client = make_client(region=region, base_url="http://127.0.0.1:8123")
    client.get_charge("C1")
    (request,) = recorder.requests
    assert str(request.url) == "http://127.0.0.1:8123/sandbox/v2/charges/C1"
    assert request.headers["x-amz-pay-host"] == host
    assert (
        request.headers["x-amz-pay-region"]
        == {"pay-api.amazon.eu": "eu", "pay-api.amazon.com": "na", "pay-api.amazon.jp": "jp"}[host]
    )
    verify_wire_request(request, key.public)


def test_base_url_path_prefix_is_kept_and_signed() -> None:
    endpoint = resolve_endpoint("SANDBOX-K", "eu", True, "http://localhost:9000/amazon/")
    assert (
        endpoint.url(endpoint.path("/charges/C1")) == "http://localhost:9000/amazon/v2/charges/C1"
    )


def test_unknown_region_and_non_http_base_url_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown Amazon Pay region 'xx'"):
        resolve_endpoint("K", "xx", True)
    with pytest.raises(ConfigurationError, match="not an http"):
        resolve_endpoint("K", "eu", True, "ftp://example.com")


@pytest.mark.parametrize("bad", ["", "a/b", "C1?x=1", "../x", "..", ".", "S01 1", "é", "C1\n"])
def test_object_ids_must_be_one_plain_path_segment(bad, make_client, recorder) -> None:
    with pytest.raises(ValueError, match="charge_id must be"):
        make_client().get_charge(bad)
    assert recorder.requests == []


def test_dots_in_ids_are_allowed_as_in_report_document_ids() -> None:
    doc = "amzn1.tortuga.0.000000000-0000-0000-0000-000000000000.00000000000000"
    assert path_segment("report_document_id", doc) == doc

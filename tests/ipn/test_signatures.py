"""SNS signature verification against certificates served over real HTTP on loopback."""

import json
import threading
from datetime import timedelta

import httpx
import pytest

from adapters.ipn import (
    CertificateRefused,
    CertificateStore,
    CertificateUnavailable,
    SignatureInvalid,
    check_certificate_url,
    parse_envelope,
    verify_envelope,
)
from adapters.ipn.certificates import load_certificate, usable_key
from tests.ipn.servers import Loopback
from tests.ipn.signing import new_signing_key, notification, sign


def envelope_of(fields):
    return parse_envelope(json.dumps(fields).encode())


def path_of(url: str) -> str:
    return httpx.URL(url).path


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_correctly_signed_message_verifies(signer, cert_url, version):
    store = CertificateStore([cert_url])
    verify_envelope(envelope_of(notification(signer, cert_url, version)), store)


@pytest.mark.parametrize(("signed_as", "claimed"), [("1", "2"), ("2", "1")])
def test_a_signature_made_with_the_other_hash_fails(signer, cert_url, signed_as, claimed):
    fields = notification(signer, cert_url, signed_as)
    fields["SignatureVersion"] = claimed
    with pytest.raises(SignatureInvalid):
        verify_envelope(envelope_of(fields), CertificateStore([cert_url]))


@pytest.mark.parametrize("field", ["Message", "MessageId", "Timestamp", "TopicArn", "Subject"])
def test_a_tampered_signed_field_fails(signer, cert_url, field):
    fields = notification(signer, cert_url, Subject="IPN")
    fields[field] = fields[field].replace("1", "2", 1) + " "
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify_envelope(envelope_of(fields), CertificateStore([cert_url]))


def test_an_unsigned_field_may_change_without_breaking_the_signature(signer, cert_url):
    fields = notification(signer, cert_url)
    fields["UnsubscribeURL"] = "https://sns.eu-west-1.amazonaws.com/?changed"
    verify_envelope(envelope_of(fields), CertificateStore([cert_url]))


def test_a_signature_by_another_key_fails(cert_server, cert_url):
    impostor = new_signing_key()
    with pytest.raises(SignatureInvalid):
        verify_envelope(envelope_of(notification(impostor, cert_url)), CertificateStore([cert_url]))


@pytest.mark.parametrize("version", ["3", "0", "SHA256"])
def test_unknown_signature_versions_are_refused_before_any_fetch(
    signer, cert_server, cert_url, version
):
    fields = notification(signer, cert_url)
    fields["SignatureVersion"] = version
    with pytest.raises(SignatureInvalid, match="is not supported"):
        verify_envelope(envelope_of(fields), CertificateStore([cert_url]))
    assert cert_server.count(path_of(cert_url)) == 0


def test_a_signature_that_is_not_base64_is_refused(signer, cert_url):
    fields = dict(notification(signer, cert_url), Signature="not base64!")
    with pytest.raises(SignatureInvalid, match="not base64"):
        verify_envelope(envelope_of(fields), CertificateStore([cert_url]))


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
    ],
)
def test_sns_https_pem_urls_are_accepted(url):
    check_certificate_url(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://sns.eu-west-1.amazonaws.com/cert.pem", "not https"),
        ("https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem", "not https"),
        ("https://evil.example/sns.eu-west-1.amazonaws.com.pem", "not https"),
        ("https://sns.eu-west-1.amazonaws.com@evil.example/cert.pem", "not https"),
        ("https://sns.xx.amazonaws.com/cert.pem", "not https"),
        ("https://sns.eu-west-1.amazonaws.com:8443/cert.pem", "not https"),
        ("https://s3.eu-west-1.amazonaws.com/cert.pem", "not https"),
        ("https://sns.eu-west-1.amazonaws.com/cert.txt", "does not end with .pem"),
        ("https://sns.eu-west-1.amazonaws.com/cert.pem/", "does not end with .pem"),
        ("not a url at all", "not https"),
    ],
)
def test_certificate_urls_off_sns_hosts_are_refused(url, reason):
    with pytest.raises(CertificateRefused, match=reason):
        check_certificate_url(url)


def test_the_sandbox_certificate_is_refused_unless_trusted_and_never_fetched(
    signer, cert_server, cert_url
):
    with pytest.raises(CertificateRefused, match="not https"):
        verify_envelope(envelope_of(notification(signer, cert_url)), CertificateStore())
    assert cert_server.count(path_of(cert_url)) == 0


def test_trusting_one_sandbox_url_does_not_trust_its_neighbours(signer, cert_server, cert_url):
    other = cert_server.add("neighbour.pem", signer.cert_pem)
    with pytest.raises(CertificateRefused):
        verify_envelope(envelope_of(notification(signer, other)), CertificateStore([cert_url]))


def test_a_certificate_is_fetched_once_for_two_messages(signer, cert_server, cert_url):
    store = CertificateStore([cert_url])
    for version in ("1", "2"):
        verify_envelope(envelope_of(notification(signer, cert_url, version)), store)
    assert cert_server.count(path_of(cert_url)) == 1
    assert store.fetches == 1


def test_concurrent_first_messages_share_one_fetch(signer, cert_server, cert_url):
    store = CertificateStore([cert_url])
    envelopes = [envelope_of(notification(signer, cert_url)) for _ in range(6)]
    barrier = threading.Barrier(len(envelopes))
    errors = []

    def verify(envelope):
        barrier.wait()
        try:
            verify_envelope(envelope, store)
        except Exception as problem:
            errors.append(problem)

    threads = [threading.Thread(target=verify, args=(e,)) for e in envelopes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cert_server.count(path_of(cert_url)) == 1


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(signer, cert_server):
    urls = [cert_server.add(f"lru-{n}.pem", signer.cert_pem) for n in range(3)]
    store = CertificateStore(urls, max_entries=2)
    for url in [*urls, urls[2], urls[0]]:
        store.public_key(url)
    assert [cert_server.count(path_of(url)) for url in urls] == [2, 1, 1]


def test_a_pinned_certificate_is_used_without_fetching(signer):
    url = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-pinned.pem"
    store = CertificateStore(pinned={url: signer.cert_pem})
    verify_envelope(envelope_of(notification(signer, url)), store)
    assert store.fetches == 0


def test_a_redirect_is_refused_and_not_followed(signer, cert_server, cert_url):
    cert_server.redirect_to = cert_url
    redirecting = f"{cert_server.url}/redirect/cert.pem"
    with pytest.raises(CertificateRefused, match="redirects"):
        CertificateStore([redirecting]).public_key(redirecting)
    assert cert_server.count("/redirect/cert.pem") == 1
    assert cert_server.count(path_of(cert_url)) == 0


def test_an_oversized_certificate_is_refused(cert_server):
    url = f"{cert_server.url}/big.pem"
    with pytest.raises(CertificateRefused, match="exceeds 65536 bytes"):
        CertificateStore([url]).public_key(url)


def test_something_that_is_not_a_certificate_is_refused(cert_server):
    url = cert_server.add("garbage.pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n")
    with pytest.raises(CertificateRefused, match="does not serve a PEM certificate"):
        CertificateStore([url]).public_key(url)


def test_an_expired_certificate_is_refused(cert_server):
    old = new_signing_key(valid_days=10, expired=True)
    url = cert_server.add("expired.pem", old.cert_pem)
    with pytest.raises(CertificateRefused, match="is not valid at"):
        verify_envelope(envelope_of(notification(old, url)), CertificateStore([url]))


def test_a_missing_certificate_is_refused(cert_server):
    url = f"{cert_server.url}/certs/absent.pem"
    with pytest.raises(CertificateRefused, match="answered HTTP 404"):
        CertificateStore([url]).public_key(url)


def test_a_failing_certificate_host_is_unavailable_so_sns_retries(cert_server):
    url = f"{cert_server.url}/failing.pem"
    with pytest.raises(CertificateUnavailable, match="HTTP 503") as failed:
        CertificateStore([url]).public_key(url)
    assert failed.value.status == 503


def test_an_unreachable_certificate_host_is_unavailable():
    with Loopback() as closed:  # bound but never listening: connections are refused
        url = f"{closed.url}/cert.pem"
        with pytest.raises(CertificateUnavailable, match="ConnectError"):
            CertificateStore([url], timeout=2).public_key(url)


def test_signing_helper_really_signs_with_the_given_version(signer, cert_url):
    # Guards the tests themselves: v1 and v2 signatures of one envelope differ.
    base = {k: v for k, v in notification(signer, cert_url).items() if k != "Signature"}
    assert sign(base, signer, "1")["Signature"] != sign(base, signer, "2")["Signature"]


def test_a_cached_certificate_is_refused_once_it_has_expired(signer, cert_url):
    store = CertificateStore([cert_url])
    store.public_key(cert_url)
    certificate = load_certificate(signer.cert_pem, cert_url)
    later = certificate.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(CertificateRefused, match="is not valid at"):
        usable_key(certificate, cert_url, now=later)

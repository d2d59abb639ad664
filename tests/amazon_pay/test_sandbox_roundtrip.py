"""The real client against the real sandbox on loopback: every endpoint, and faults survived."""

from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.amazon_pay import AmazonPayClient, RetryPolicy, StateError
from domain.money import Money
from sandbox.config import SandboxConfig
from sandbox.server import run_in_thread

KEY_ID = "SANDBOX-ROUNDTRIPKEY000000001"
EUR = "EUR"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sandbox(key) -> Iterator[str]:
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    config = SandboxConfig(admin=True, public_keys={KEY_ID: public.decode()}, quotas="off")
    with run_in_thread(config) as url:
        yield url


@pytest.fixture
def client(key, sandbox) -> Iterator[AmazonPayClient]:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    retry = RetryPolicy(max_attempts=12, base_delay=0.01, max_delay=0.05)
    with AmazonPayClient(KEY_ID, pem, base_url=sandbox, retry=retry, throttle=False) as made:
        yield made


def admin(sandbox: str, method: str, path: str, body: dict | None = None) -> dict:
    response = httpx.request(method, f"{sandbox}/_admin{path}", json=body, timeout=10)
    assert response.status_code < 300, response.text
    return response.json()


def checkout(sandbox: str, amount: str) -> str:
    return admin(sandbox, "POST", "/checkouts", {"amount": amount, "currencyCode": EUR})[
        "chargePermissionId"
    ]


def test_every_endpoint_round_trips(client, sandbox):
    permission = checkout(sandbox, "50.00")
    assert client.get_charge_permission(permission).state == "Chargeable"
    updated = client.update_charge_permission(
        permission, merchant_metadata={"merchantReferenceId": "HB1"}
    )
    assert updated.merchant_metadata["merchantReferenceId"] == "HB1"
    charge = client.create_charge(
        charge_permission_id=permission, charge_amount=Money("50.00", EUR), idempotency_key="c-1"
    )
    assert client.get_charge(charge.charge_id).charge_amount == Money("50.00", EUR)
    captured = client.capture_charge(
        charge.charge_id, capture_amount=Money("50.00", EUR), idempotency_key="cap-1"
    )
    assert captured.capture_amount == Money("50.00", EUR)
    refund = client.create_refund(
        charge_id=charge.charge_id, refund_amount=Money("5.00", EUR), idempotency_key="r-1"
    )
    assert client.get_refund(refund.refund_id).refund_amount == Money("5.00", EUR)
    other = client.create_charge(
        charge_permission_id=checkout(sandbox, "9.00"),
        charge_amount=Money("9.00", EUR),
        idempotency_key="c-2",
    )
    assert client.cancel_charge(other.charge_id, cancellation_reason="test").state == "Canceled"
    closed = client.close_charge_permission(permission, closure_reason="done")
    assert closed.state == "Closed"
    admin(sandbox, "POST", "/clock/advance", {"minutes": 1})
    admin(sandbox, "POST", "/settlements/close")
    (listed,) = list(client.iter_reports())
    report = client.get_report(listed.report_id)
    assert report.processing_status == "COMPLETED"
    document = client.get_report_document(report.report_document_id)
    assert document.url.startswith(sandbox)
    content = client.download_report_document(report.report_document_id)
    assert b'"Capture"' in content and b'"Refund"' in content


@pytest.mark.parametrize("faults", [{"errorRate": 0.5}, {"dropAfterCommitRate": 0.6}])
def test_retries_under_faults_never_charge_capture_or_refund_twice(client, sandbox, faults):
    admin(sandbox, "PUT", "/faults", {**faults, "seed": 3})
    for n in range(6):
        permission = checkout(sandbox, "20.00")
        charge = client.create_charge(
            charge_permission_id=permission,
            charge_amount=Money("20.00", EUR),
            idempotency_key=f"chg-{n}",
        )
        client.capture_charge(
            charge.charge_id, capture_amount=Money("20.00", EUR), idempotency_key=f"cap-{n}"
        )
        client.create_refund(
            charge_id=charge.charge_id,
            refund_amount=Money("5.00", EUR),
            idempotency_key=f"ref-{n}",
        )
    admin(sandbox, "PUT", "/faults", {})
    counts = admin(sandbox, "GET", "/ledger")["counts"]
    assert (counts["charges"], counts["captures"], counts["refunds"]) == (6, 6, 6)
    with pytest.raises(StateError):  # and a second capture is refused by Amazon's own rules
        client.capture_charge(
            charge.charge_id, capture_amount=Money("20.00", EUR), idempotency_key="cap-again"
        )


def test_the_get_charge_command_reads_from_the_sandbox(key, sandbox, client):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    charge = client.create_charge(
        charge_permission_id=checkout(sandbox, "12.34"),
        charge_amount=Money("12.34", EUR),
        idempotency_key="cli-1",
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    env = {
        **os.environ,
        "AMAZON_PAY_PUBLIC_KEY_ID": KEY_ID,
        "AMAZON_PAY_PRIVATE_KEY": pem.decode(),
        "AMAZON_PAY_BASE_URL": sandbox,
    }
    cli = str(Path(sys.executable).parent / "amazon-payments")
    done = subprocess.run(
        [cli, "amazon", "get-charge", charge.charge_id], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["chargeId"] == charge.charge_id
    assert printed["chargeAmount"] == {"amount": "12.34", "currencyCode": "EUR"}
    missing = subprocess.run(
        [cli, "amazon", "get-charge", "S01-0000000-0000000-C000000"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "ResourceNotFound" in missing.stderr

"""`ipn serve` as a user runs it: a real process on loopback, storing into the configured store."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.erp.schema import NotificationRow
from sandbox.keys import throwaway_key_pair
from tests.ipn.signing import ipn_message, notification

REPO = Path(__file__).resolve().parents[2]
SERVE = "from cli.ipn import app; app()"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            httpx.post(url, content=b"{}", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the receiver did not start listening")


def test_serve_verifies_stores_and_keeps_bodies_out_of_the_log(
    database_url, engine, signer, cert_url
):
    port = free_port()
    url = f"http://127.0.0.1:{port}/ipn"
    # Reconciling asks OrderSteps, whose client needs a key, even for an object not ours.
    private, _public = throwaway_key_pair()
    env = {
        **os.environ,
        "AMAZON_PAYMENTS_DATABASE_URL": database_url,
        "AMAZON_PAY_PUBLIC_KEY_ID": "SANDBOX-IPNCLI0000000000000001",
        "AMAZON_PAY_PRIVATE_KEY": private.decode(),
        "AMAZON_PAY_BASE_URL": "http://127.0.0.1:9",  # never called: the object is not ours
    }
    command = [sys.executable, "-c", SERVE, "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--trust-cert-url", cert_url],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_listening(url, process)
        envelope = notification(signer, cert_url, message=ipn_message("S02-9-9-C009"))
        answer = httpx.post(url, content=json.dumps(envelope), timeout=30)
        forged = dict(envelope, Message=ipn_message("S02-9-9-C666"))
        refused = httpx.post(url, content=json.dumps(forged), timeout=30)
    finally:
        process.terminate()
        _, log = process.communicate(timeout=30)
    assert (answer.status_code, refused.status_code) == (200, 403)
    with Session(engine) as session:
        rows = session.scalars(select(NotificationRow)).all()
    assert [(r.object_id, r.processed_at is not None) for r in rows] == [("S02-9-9-C009", True)]
    assert "S02-9-9-C009" in log  # the IPN is logged by its ids...
    assert envelope["Signature"] not in log and "NotificationId" not in log  # ...not its body


def test_serve_without_trusted_urls_refuses_the_sandbox_certificate(
    database_url, engine, signer, cert_url
):
    port = free_port()
    url = f"http://127.0.0.1:{port}/ipn"
    env = {**os.environ, "AMAZON_PAYMENTS_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_listening(url, process)
        answer = httpx.post(url, content=json.dumps(notification(signer, cert_url)), timeout=30)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert answer.status_code == 403

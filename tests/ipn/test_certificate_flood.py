"""A flood of notifications naming an unfetchable certificate does not hold up a genuine one.

The flood's certificate URL passes the URL rules (it is trusted, like the sandbox's) but its
host hangs. The receiver fetches it once, answers the rest at once (503 while the fetch runs,
the remembered failure after it), and a genuine notification is processed while the flood's
fetch is still hanging. No timing is asserted: only counts, and who finishes before whom.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from adapters.ipn import ReceiverOptions, create_app
from adapters.ipn.certificates import CertificateStore
from adapters.ipn.errors import CertificateRefused, CertificateUnavailable
from adapters.ipn.fetch_gate import FetchGate
from tests.ipn.conftest import Receiver, Reconciler
from tests.ipn.servers import Loopback
from tests.ipn.signing import ipn_message, notification

FLOOD = 200


def wait_for(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.05)


@pytest.fixture
def flood_setup(engine, cert_server, cert_url) -> Iterator[tuple[Receiver, str, threading.Event]]:
    """A receiver trusting the genuine URL and a hanging one; the hang is released at the end."""
    hang_url, release = cert_server.hanging(f"{uuid.uuid4().hex}.pem")
    trusted = (cert_url, hang_url)
    # The fetch timeout outlasts the test: the flood's fetch hangs until it is released.
    certificates = CertificateStore(trusted, timeout=120)
    reconciler = Reconciler()
    app = create_app(engine, reconciler, ReceiverOptions(), certificates=certificates)
    loopback = Loopback().start(app)
    try:
        yield Receiver(loopback.url + "/ipn", engine, reconciler), hang_url, release
    finally:
        release.set()
        loopback.stop()


def test_a_genuine_notification_is_not_queued_behind_a_flood_of_unfetchable_certificates(
    flood_setup, signer, cert_server, cert_url
) -> None:
    receiver, hang_url, release = flood_setup
    hang_path = httpx.URL(hang_url).path
    answers: list[int] = []

    def post_flood(_: int) -> None:
        answers.append(receiver.post(notification(signer, hang_url)).status_code)

    with ThreadPoolExecutor(max_workers=64) as pool:
        flooding = list(pool.map(lambda n: pool.submit(post_flood, n), range(FLOOD)))
        wait_for(lambda: cert_server.count(hang_path) == 1, "the flood's certificate fetch")
        wait_for(lambda: len(answers) >= FLOOD // 2, "answers to half the flood")

        genuine = notification(signer, cert_url, message=ipn_message("S02-7-7-C777"))
        answer = receiver.post(genuine)

        assert (answer.status_code, answer.text) == (200, "processed\n")
        assert [n.object_id for n in receiver.reconciler.calls] == ["S02-7-7-C777"]
        assert not release.is_set() and cert_server.count(hang_path) == 1  # still hanging
        release.set()
        for future in flooding:
            future.result()

    assert len(answers) == FLOOD and 200 not in answers
    assert set(answers) <= {503, 403}
    # The failure is remembered: another message naming the URL is refused without a fetch.
    again = receiver.post(notification(signer, hang_url))
    assert again.status_code == 403 and "HTTP 404" in again.text
    assert cert_server.count(hang_path) == 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_failed_fetch_is_remembered_for_the_ttl_then_tried_again() -> None:
    clock = FakeClock()
    gate: FetchGate[str] = FetchGate(failure_ttl=60, clock=clock)
    calls: list[str] = []

    def failing() -> str:
        calls.append("fetch")
        raise CertificateUnavailable("certificate x unavailable: ConnectError")

    for _ in range(4):  # at 0, 29, 58 and 87 s
        with pytest.raises(CertificateUnavailable, match="ConnectError"):
            gate.run("https://x/cert.pem", failing)
        clock.now += 29
    assert calls == ["fetch", "fetch"]  # at 0 s and at 87 s, not at 29 s or 58 s
    assert gate.run("https://y/cert.pem", lambda: "pem") == "pem"  # other URLs unaffected


def test_beyond_the_limit_of_fetches_a_new_url_is_answered_unavailable_at_once() -> None:
    gate: FetchGate[str] = FetchGate(max_fetches=2, max_waiters=1)
    hold = threading.Event()

    def hanging() -> str:
        hold.wait(30)
        raise CertificateRefused("certificate answered HTTP 404")

    with ThreadPoolExecutor(max_workers=3) as pool:
        running = [pool.submit(gate.run, f"https://h{n}/c.pem", hanging) for n in range(2)]
        waiting = pool.submit(gate.run, "https://h0/c.pem", hanging)
        wait_for(lambda: len(gate._in_flight) == 2 and gate._waiters == 1, "two fetches, a waiter")
        with pytest.raises(CertificateUnavailable, match="too many certificate fetches"):
            gate.run("https://h2/c.pem", hanging)
        with pytest.raises(CertificateUnavailable, match="still being fetched"):
            gate.run("https://h1/c.pem", hanging)
        hold.set()
        for future in [*running, waiting]:
            with pytest.raises(CertificateRefused):
                future.result()

"""A sandbox with a state file continues after a restart: objects, ids, idempotency, clock."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.config import SandboxConfig
from sandbox.server import bind_socket, run_in_thread
from tests.sandbox.amazon import Admin, Api, Signer, fetch, public_pem
from tests.sandbox.conftest import KEY_ID, REPO


def free_port() -> int:
    probe = bind_socket()
    port = int(probe.getsockname()[1])
    probe.close()
    return port


class SandboxProcess:
    """`amazon-payments sandbox serve --state-file F` as a real process on a fixed port."""

    def __init__(self, tmp_path: Path, keys: Path) -> None:
        self.port, self.keys, self.tmp_path = free_port(), keys, tmp_path
        self.state = tmp_path / "sandbox" / "state.sqlite3"
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        command = [
            sys.executable, "-c", "from cli.main import app; app()", "sandbox", "serve",
            "--port", str(self.port), "--admin", "--quotas", "off",
            "--keys-file", str(self.keys), "--state-file", str(self.state),
        ]  # fmt: skip
        log = self.tmp_path / f"serve-{self.starts}.log"
        with log.open("wb") as sink:
            self.process = subprocess.Popen(command, cwd=REPO, stdout=sink, stderr=sink)
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch(self.base_url + "/_admin/clock", timeout=1)
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"sandbox did not start: {log.read_text()}")
                time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)  # no shutdown hook: what was answered is saved
        self.process.wait(timeout=10)


@pytest.fixture
def served(tmp_path: Path, private_key) -> Iterator[SandboxProcess]:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({KEY_ID: public_pem(private_key)}))
    sandbox = SandboxProcess(tmp_path, keys)
    yield sandbox
    if sandbox.process is not None and sandbox.process.poll() is None:
        sandbox.process.terminate()
        sandbox.process.wait(timeout=10)


def test_a_killed_and_restarted_sandbox_still_has_the_charge_and_hands_out_new_ids(
    served: SandboxProcess, private_key
):
    served.start()
    admin = Admin(served.base_url)
    api = Api(served.base_url, Signer(KEY_ID, private_key), admin.now)
    permission = admin.checkout("24.80")
    created = api.create_charge(permission, "24.80", "restart-charge-1", captureNow=True)
    assert created.status_code == 201, created.text
    charge = created.json()
    admin.advance(days=2)
    clock_before = admin.http.get("/_admin/clock").json()
    api.close()
    admin.close()
    served.kill()
    assert served.state.is_file()

    served.start()
    admin = Admin(served.base_url)
    api = Api(served.base_url, Signer(KEY_ID, private_key), admin.now)
    found = api.get(f"charges/{charge['chargeId']}")
    assert found.status_code == 200
    assert found.json()["statusDetails"]["state"] == "Captured"
    assert found.json()["chargeAmount"] == {"amount": "24.80", "currencyCode": "EUR"}
    replayed = api.create_charge(permission, "24.80", "restart-charge-1", captureNow=True)
    assert replayed.json()["chargeId"] == charge["chargeId"]  # the idempotency key is known
    clock_after = admin.http.get("/_admin/clock").json()
    assert clock_after["offsetSeconds"] == clock_before["offsetSeconds"] == 2 * 86400
    assert clock_after["now"] >= clock_before["now"]
    second = admin.checkout("10.00")
    assert second != permission
    next_charge = api.create_charge(second, "10.00", "restart-charge-2")
    assert next_charge.json()["chargeId"] != charge["chargeId"]
    ledger = admin.ledger()
    assert ledger["counts"]["chargePermissions"] == 2
    assert ledger["counts"]["charges"] == 2
    api.close()
    admin.close()


def test_transitions_refunds_and_settlements_survive_a_restart(tmp_path: Path, private_key):
    config = SandboxConfig(
        admin=True,
        quotas="off",
        tick_interval_seconds=None,
        public_keys={KEY_ID: public_pem(private_key)},
        state_file=tmp_path / "state.sqlite3",
    )
    with run_in_thread(config) as base_url:
        admin = Admin(base_url)
        api = Api(base_url, Signer(KEY_ID, private_key), admin.now)
        permission = admin.checkout("50.00", paymentDescriptor="Visa ****0701")
        pending = api.create_charge(
            permission, "50.00", "p-1", canHandlePendingAuthorization=True
        ).json()
        captured_permission = admin.checkout("30.00")
        captured = api.create_charge(captured_permission, "30.00", "c-1", captureNow=True).json()
        assert api.refund(captured["chargeId"], "5.00", "r-1").status_code == 201
        closed = admin.http.post("/_admin/settlements/close").json()["reports"]
        before = admin.ledger()
        api.close()
        admin.close()
    with run_in_thread(config) as base_url:
        admin = Admin(base_url)
        api = Api(base_url, Signer(KEY_ID, private_key), admin.now)
        after = admin.ledger()
        for view in (before, after):
            view.pop("now")
        assert after == before  # every object as it was, to the field
        charge = f"charges/{pending['chargeId']}"
        assert api.get(charge).json()["statusDetails"]["state"] == "AuthorizationInitiated"
        admin.advance(seconds=31)  # the due authorization was kept with its time
        assert api.get(charge).json()["statusDetails"]["state"] == "Authorized"
        reports = api.get("reports").json()["reports"]
        assert [r["reportId"] for r in reports] == [r["reportId"] for r in closed]
        assert admin.ledger()["counts"]["refunds"] == 1
        api.close()
        admin.close()


def test_without_a_state_file_a_restart_starts_empty(private_key):
    config = SandboxConfig(admin=True, public_keys={KEY_ID: public_pem(private_key)})
    with run_in_thread(config) as base_url:
        Admin(base_url).checkout("1.00")
    with run_in_thread(config) as base_url:
        assert Admin(base_url).ledger()["counts"]["chargePermissions"] == 0


def test_a_state_file_of_another_kind_is_refused_with_one_line(tmp_path: Path):
    from typer.testing import CliRunner

    from cli.sandbox import app

    state = tmp_path / "state.sqlite3"
    state.write_bytes(b"not a database, just bytes" * 100)
    result = CliRunner().invoke(
        app, ["serve", "--port", str(free_port()), "--state-file", str(state)]
    )
    assert result.exit_code == 2
    assert "cannot be used as a state file" in result.output
    assert "Traceback" not in result.output

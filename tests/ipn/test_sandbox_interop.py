"""The project's sandbox plays SNS: its signed IPNs reach the receiver and are reconciled.

The sandbox signs with its own code (sandbox/notifications.py), so this checks the receiver's
verification against an independent implementation, over real HTTP on loopback.
"""

import time
from datetime import UTC, datetime

from sandbox.app import create_app as create_sandbox
from sandbox.config import SandboxConfig
from sandbox.ledger import Change
from sandbox.notifications import CERT_PATH
from tests.ipn.conftest import Reconciler
from tests.ipn.servers import Loopback


def change(object_id: str) -> Change:
    return Change(
        object_type="CHARGE",
        object_id=object_id,
        charge_permission_id="S02-0000000-0000001",
        environment="SANDBOX",
        state="Authorized",
        reason_code=None,
        at=datetime.now(UTC),
    )


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_sandbox_ipns_are_accepted_once_its_certificate_is_trusted(start_receiver):
    with Loopback() as sandbox_server:
        reconciler = Reconciler()
        receiver = start_receiver(reconciler, trusted_cert_urls=(sandbox_server.url + CERT_PATH,))
        config = SandboxConfig(
            ipn_url=receiver.url, public_base_url=sandbox_server.url, tick_interval_seconds=None
        )
        app = create_sandbox(config)
        sandbox_server.start(app)
        notifier = app.state.sandbox.notifier
        notifier.publish(change("S02-0000000-0000001-C000001"))
        assert wait_for(lambda: notifier.records()[-1]["status"] is not None)
        assert notifier.records()[-1]["status"] == 200
        assert [c.object_id for c in reconciler.calls] == ["S02-0000000-0000001-C000001"]
        [row] = receiver.rows()
        assert row.processed_at is not None


def test_sandbox_ipns_are_refused_when_its_certificate_is_not_trusted(start_receiver):
    with Loopback() as sandbox_server:
        receiver = start_receiver(trusted_cert_urls=())
        config = SandboxConfig(
            ipn_url=receiver.url, public_base_url=sandbox_server.url, tick_interval_seconds=None
        )
        app = create_sandbox(config)
        sandbox_server.start(app)
        notifier = app.state.sandbox.notifier
        notifier.publish(change("S02-0000000-0000001-C000002"))
        assert wait_for(lambda: notifier.records()[-1]["status"] is not None)
        assert notifier.records()[-1]["status"] == 403
        assert receiver.rows() == []

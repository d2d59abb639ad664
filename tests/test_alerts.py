"""The alerts on a real Prefect server: applied twice (idempotent), each condition fires once and
its webhook arrives at a receiver on loopback; runs of other deployments stay quiet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from deployments import alerts
from sandbox.server import bind_socket

# The file took 44-68 s here (a Prefect server start of 17-32 s, then 19-25 s of alerts).
pytestmark = pytest.mark.slow
AGE = timedelta(seconds=10)  # Prefect's shortest proactive window


def free_port() -> int:
    probe = bind_socket()
    port = int(probe.getsockname()[1])
    probe.close()
    return port


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`prefect server start` on a free loopback port, home in a temporary folder."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env |= {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EVENTS_PROACTIVE_GRANULARITY": "PT1S",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
    }
    prefect = str(Path(sys.executable).parent / "prefect")
    log = home / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(  # noqa: S603 - our own executable
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prefect server did not start:\n{log.read_text()}")
            time.sleep(0.5)
        yield api
    finally:
        server.terminate()
        server.wait(timeout=30)


class Receiver:
    """A webhook receiver on loopback that keeps every JSON body it was sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def subjects(self) -> list[str]:
        return sorted(body["subject"] for body in self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()


def run_ending(client: Any, deployment: str, *states: Any) -> UUID:
    """A flow run of a deployment (flow of the same name) taken through the given states."""
    flow_id = client.create_flow_from_name(deployment)
    deployment_id = client.create_deployment(flow_id=flow_id, name=deployment)
    flow_run = client.create_flow_run_from_deployment(deployment_id)
    for state in states:
        client.set_flow_run_state(flow_run.id, state, force=True)
    return flow_run.id


def document_event(number: str, status: str, follows: Any = None) -> Any:
    """The event a status change emits (`follows`: the one before, so the order is certain)."""
    from prefect.events import emit_event

    return emit_event(
        event=f"amazon-payments.document.{status}",
        resource={"prefect.resource.id": f"amazon-payments.document.{number}"},
        payload={"amount": "24.80", "currency": "EUR"},
        follows=follows,
    )


def test_each_alert_fires_once_per_condition_and_its_webhook_arrives(prefect_api, receiver):
    from prefect.client.orchestration import get_client
    from prefect.events.clients import PrefectEventsClient
    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.states import Crashed, Failed, Running

    started = time.monotonic()
    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        first = alerts.apply(receiver.url, AGE)
        second = alerts.apply(receiver.url, AGE)
        assert {what for _, what in first} == {"created"}
        assert {what for _, what in second} == {"updated"}
        with get_client(sync_client=True) as client:
            ours = [a for a in client.read_automations() if a.name.startswith(alerts.PREFIX)]
            assert len(ours) == len(first) == 4
        # The server's trigger service loads new automations a moment after they are written;
        # on a busy machine that moment can be long. One alert seen through proves they are
        # loaded, so no condition below can go unseen for that reason.
        with get_client(sync_client=True) as client:
            run_ending(client, "sync", Running(), Failed(message="warming up"))
        warm = time.monotonic() + 120
        while not receiver.received and time.monotonic() < warm:
            time.sleep(0.5)
        assert receiver.subjects() == [f"{alerts.PREFIX}run failed"]
        receiver.received.clear()
        with get_client(sync_client=True) as client:
            run_ending(client, "sync", Running(), Failed(message="sweep failed"))
            run_ending(client, "activate", Running(), Crashed(message="process killed"))
            run_ending(client, "reconcile-settlements", Running(), Failed(name="Rejected"))
            run_ending(client, "not-ours", Running(), Failed(message="someone else's"))
        # Prefect keeps one events worker per process, bound to the server it first reached
        # (in the whole suite: the engine's test harness); these events must reach this server.
        EventsWorker.drain_all()
        EventsWorker.set_client_override(PrefectEventsClient, api_url=prefect_api)
        try:
            document_event("HB1", "authorization_overdue")  # stays open
            overdue = document_event("HB2", "authorization_overdue")
            document_event("HB2", "accepted", overdue)  # settled within the age: no alert
            EventsWorker.drain_all()
        finally:
            EventsWorker.set_client_override(None)

        expected = sorted(
            [f"{alerts.PREFIX}run failed"] * 3
            + [f"{alerts.PREFIX}settlement rejected"]
            + [f"{alerts.PREFIX}authorization overdue"] * 2
            + [f"{alerts.PREFIX}open item too old"]
        )
        deadline = time.monotonic() + 120
        while len(receiver.received) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(5)  # a duplicate would arrive now (proactive checks run every second here)
    print(f"alerts test: {time.monotonic() - started:.1f} s after the server was up")
    assert receiver.subjects() == expected
    bodies = " | ".join(body["body"] for body in receiver.received)
    assert "sync run " in bodies and "ended Failed (FAILED): sweep failed" in bodies
    assert "(CRASHED): process killed" in bodies
    assert "amazon-payments.document.HB1 is still open" in bodies
    assert "HB2 is still open" not in bodies
    assert "someone else's" not in bodies


def test_without_a_webhook_the_automations_exist_with_no_action(prefect_api):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        applied = alerts.apply("", AGE)
        with get_client(sync_client=True) as client:
            ours = [a for a in client.read_automations() if a.name.startswith(alerts.PREFIX)]
    assert sorted(name for name, _ in applied) == sorted(a.name for a in ours)
    assert {action.type for a in ours for action in a.actions} == {"do-nothing"}


def test_the_cli_applies_the_alerts_and_says_when_nobody_is_notified(prefect_api, monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.delenv(alerts.WEBHOOK_VARIABLE, raising=False)
    monkeypatch.setenv(alerts.AGE_VARIABLE, "3600")
    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        result = CliRunner().invoke(app, ["alerts", "apply"])
        assert result.exit_code == 0, result.output
        assert "updated: amazon-payments: open item too old" in result.output
        assert f"no {alerts.WEBHOOK_VARIABLE}: the automations exist but notify nobody" in (
            result.output
        )
        monkeypatch.setenv(alerts.AGE_VARIABLE, "5")
        refused = CliRunner().invoke(app, ["alerts", "apply"])
    assert refused.exit_code == 2
    assert "at least 10 seconds" in refused.output


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("abc", "must be a number of seconds"), ("9", "at least 10 seconds"), ("-1", "at least 10")],
)
def test_an_open_item_age_that_prefect_cannot_watch_is_refused(monkeypatch, raw, problem):
    monkeypatch.setenv(alerts.AGE_VARIABLE, raw)
    with pytest.raises(ValueError, match=problem):
        alerts.open_item_age()
    monkeypatch.setenv(alerts.AGE_VARIABLE, "600")
    assert alerts.open_item_age() == timedelta(minutes=10)
    monkeypatch.delenv(alerts.AGE_VARIABLE)
    assert alerts.open_item_age() == timedelta(days=1)

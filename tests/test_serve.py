"""`amazon-payments serve` serves prefect.yaml's deployments with prefect.yaml's settings.

The served deployments are `flow.to_deployment(...)` objects, compared field by field with what
`prefect deploy` builds from the same file; no server is started.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from prefect.cli.deploy._config import _load_deploy_configs_and_actions  # noqa: E402
from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule  # noqa: E402
from prefect.client.schemas.schedules import IntervalSchedule  # noqa: E402
from prefect.deployments.runner import RunnerDeployment  # noqa: E402
from prefect.flows import load_flow_from_entrypoint  # noqa: E402
from prefect.utilities.templating import apply_values  # noqa: E402
from rich.console import Console  # noqa: E402

from adapters.settings import ModuleSettings  # noqa: E402
from deployments.serve import PREFECT_YAML, deployments, load_flow, read_deployments  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ZONE = "AMAZON_PAYMENTS_BUSINESS_TIME_ZONE"


def settings(**changes: Any) -> ModuleSettings:
    return ModuleSettings(_env_file=None, **changes)  # type: ignore[call-arg]


def yaml_configs(monkeypatch: pytest.MonkeyPatch, zone: str) -> dict[str, dict[str, Any]]:
    """prefect.yaml as `prefect deploy` reads and templates it, with the time zone exported."""
    monkeypatch.setenv(ZONE, zone)
    configs, _ = _load_deploy_configs_and_actions(PREFECT_YAML, console=Console(quiet=True))
    return {c["name"]: apply_values(c, os.environ, remove_notset=False) for c in configs}


NAMES = [config["name"] for config in read_deployments()]


@pytest.fixture(scope="module")
def served() -> dict[str, RunnerDeployment]:
    return {d.name: d for d in deployments(settings=settings(business_time_zone="Europe/Berlin"))}


def schedule_fields(schedule: Any) -> dict[str, Any]:
    """What a schedule means (an interval's anchor defaults to the moment it was built)."""
    fields = schedule.model_dump(exclude={"anchor_date"})
    return {"type": type(schedule).__name__, **fields}


def test_serve_offers_every_deployment_of_prefect_yaml_and_nothing_else(served):
    assert sorted(served) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_deployment_is_served_with_the_settings_prefect_deploy_reads(
    served, monkeypatch, name
):
    config = yaml_configs(monkeypatch, "Europe/Berlin")[name]
    deployment = served[name]
    flow = load_flow_from_entrypoint(config["entrypoint"], use_placeholder_flow=False)
    assert deployment.flow_name == flow.name
    served_file = Path(deployment.entrypoint.rpartition(":")[0]).resolve()
    assert served_file == (REPO / config["entrypoint"].rpartition(":")[0]).resolve()
    assert deployment.description == config.get("description", flow.description)
    assert deployment.parameters == (config.get("parameters") or {})
    assert deployment.concurrency_limit == config.get("concurrency_limit")
    assert deployment.tags == (config.get("tags") or [])
    expected = [
        _schedule_config_to_deployment_schedule(item)
        for item in apply_values(config.get("schedules") or [], {})
    ]
    offered = deployment.schedules or []
    assert [schedule_fields(s.schedule) for s in offered] == [
        schedule_fields(e["schedule"]) for e in expected
    ]
    assert [(s.active, s.parameters, s.slug) for s in offered] == [
        (e.get("active", True), e.get("parameters", {}), e.get("slug")) for e in expected
    ]


def test_sync_is_served_every_two_minutes_one_run_at_a_time(served):
    (schedule,) = served["sync"].schedules
    assert isinstance(schedule.schedule, IntervalSchedule)
    assert schedule.schedule.interval.total_seconds() == 120
    assert served["sync"].concurrency_limit == 1


def test_the_settlement_schedule_is_in_berlin_time_by_default(monkeypatch):
    monkeypatch.delenv(ZONE, raising=False)
    served = {d.name: d for d in deployments(settings=settings())}
    (schedule,) = served["reconcile-settlements"].schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 6 * * *", "Europe/Berlin")


def test_a_changed_business_time_zone_setting_changes_the_served_settlement_schedule(monkeypatch):
    monkeypatch.setenv(ZONE, "Asia/Tokyo")  # the setting wins over a stray environment value
    served = {
        d.name: d for d in deployments(settings=settings(business_time_zone="America/New_York"))
    }
    (schedule,) = served["reconcile-settlements"].schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == (
        "30 6 * * *",
        "America/New_York",
    )


def test_serve_reads_the_time_zone_setting_from_the_environment(monkeypatch):
    monkeypatch.setenv(ZONE, "Asia/Tokyo")
    served = {d.name: d for d in deployments()}
    assert served["reconcile-settlements"].schedules[0].schedule.timezone == "Asia/Tokyo"


def test_project_flows_are_loaded_as_their_modules_not_as_second_copies():
    from flows.sync import sync

    assert load_flow("flows/sync.py:sync", REPO) is sync


HELLO = """\
from prefect import flow


@flow(name="hello")
def hello(who: str = "world", loud: bool = False) -> str:
    return f"hello {who}"
"""


def test_adding_a_deployment_to_prefect_yaml_is_enough_to_serve_it(tmp_path, monkeypatch):
    (tmp_path / "hello.py").write_text(HELLO)
    (tmp_path / "prefect.yaml").write_text(
        """\
deployments:
  - name: hello-hourly
    entrypoint: hello.py:hello
    description: Says hello.
    parameters: {who: "{{ $GREETED }}"}
    tags: [demo]
    version: "7"
    concurrency_limit: {limit: 2, collision_strategy: CANCEL_NEW}
    schedules:
      - interval: 3600
        timezone: Europe/Berlin
        slug: hourly
      - cron: "0 9 * * 1-5"
        timezone: "{{ $AMAZON_PAYMENTS_BUSINESS_TIME_ZONE }}"
        parameters: {loud: true}
        active: false
    work_pool: {name: default}
"""
    )
    monkeypatch.setenv("GREETED", "Amazon")
    (deployment,) = deployments(tmp_path / "prefect.yaml", settings(business_time_zone="UTC"))
    assert (deployment.name, deployment.flow_name) == ("hello-hourly", "hello")
    assert (deployment.description, deployment.version) == ("Says hello.", "7")
    assert (deployment.parameters, deployment.tags) == ({"who": "Amazon"}, ["demo"])
    assert deployment.concurrency_limit == 2
    assert deployment.concurrency_options is not None
    assert deployment.concurrency_options.collision_strategy == "CANCEL_NEW"
    hourly, weekdays = deployment.schedules
    assert hourly.schedule.interval.total_seconds() == 3600 and hourly.slug == "hourly"
    assert (weekdays.schedule.cron, weekdays.schedule.timezone) == ("0 9 * * 1-5", "UTC")
    assert (weekdays.active, weekdays.parameters) == (False, {"loud": True})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    triggers: [{enabled: true}]\n", "does not support"),
        ("    description: '{{ $NOT_SET_ANYWHERE }}'\n", "NOT_SET_ANYWHERE is not set"),
        ("    description: '{{ prefect.variables.x }}'\n", "serve resolves only"),
    ],
)
def test_serve_refuses_what_it_cannot_serve_as_written(tmp_path, monkeypatch, extra, message):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    (tmp_path / "hello.py").write_text(HELLO)
    (tmp_path / "prefect.yaml").write_text(
        f"deployments:\n  - name: hello\n    entrypoint: hello.py:hello\n{extra}"
    )
    with pytest.raises(ValueError, match=message):
        deployments(tmp_path / "prefect.yaml", settings())

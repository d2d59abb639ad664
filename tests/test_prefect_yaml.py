"""prefect.yaml checked offline, as `prefect deploy` would read it (prefect-gx-notes.md §4).

`prefect deploy` only warns and skips a prefect.yaml that fails validation, so this test is what
catches a broken file. It covers every deployment the file lists, including ones added later.
The file is read and templated with prefect's own deploy code (private modules: prefect is
pinned to 3.9.x), the way `prefect deploy --all` does before it talks to a server.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from prefect.cli.deploy._config import _load_deploy_configs_and_actions  # noqa: E402
from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule  # noqa: E402
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule  # noqa: E402
from prefect.flows import load_flow_from_entrypoint  # noqa: E402
from prefect.utilities.schema_tools.validation import validate  # noqa: E402
from prefect.utilities.templating import apply_values  # noqa: E402
from pydantic import ValidationError  # noqa: E402
from rich.console import Console  # noqa: E402

from adapters.settings import ModuleSettings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TIME_ZONE_VARIABLE = "AMAZON_PAYMENTS_BUSINESS_TIME_ZONE"


def read(path: Path = REPO / "prefect.yaml") -> tuple[list[dict[str, Any]], str]:
    """The deployment configs `prefect deploy` reads from a file, and what it printed."""
    output = io.StringIO()
    configs, _actions = _load_deploy_configs_and_actions(path, console=Console(file=output))
    return configs, output.getvalue()


NAMES = [config["name"] for config in read()[0]]


def deploy_config(name: str) -> dict[str, Any]:
    """One deployment as `prefect deploy` sees it after filling in `{{ $VAR }}` placeholders."""
    config = next(c for c in read()[0] if c["name"] == name)
    return apply_values(config, os.environ, remove_notset=False)


def deploy_schedules(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The schedules `prefect deploy` would send for one templated deployment config."""
    return [
        _schedule_config_to_deployment_schedule(item)
        for item in apply_values(config.get("schedules") or [], {})
    ]


@pytest.fixture(autouse=True)
def business_time_zone(monkeypatch: pytest.MonkeyPatch) -> str:
    """`prefect deploy` reads `{{ $VAR }}` from the environment: export it as documented."""
    monkeypatch.setenv(TIME_ZONE_VARIABLE, "Europe/Berlin")
    return "Europe/Berlin"


def test_prefect_deploy_reads_the_file_without_skipping_it_and_names_are_unique():
    configs, printed = read()
    assert configs, f"prefect.yaml lists no deployments: {printed}"
    assert "Skipping" not in printed, printed
    assert len(NAMES) == len(set(NAMES)), f"duplicate deployment names in {NAMES}"


@pytest.mark.parametrize("name", NAMES)
def test_deployment_entrypoint_loads_and_its_parameters_fit_the_flow(name):
    config = deploy_config(name)
    flow = load_flow_from_entrypoint(config["entrypoint"], use_placeholder_flow=False)
    schema = flow.parameters.model_dump()
    parameters = config.get("parameters") or {}
    # What the server checks when the deployment is created: given values only.
    errors = validate(parameters, schema, ignore_required=True)
    assert not errors, [error.message for error in errors]
    for item in config.get("schedules") or []:
        # A scheduled run has nobody to supply a missing parameter: it must be complete.
        flow.validate_parameters({**parameters, **(item.get("parameters") or {})})


@pytest.mark.parametrize("name", NAMES)
def test_deployment_schedules_build_as_prefect_deploy_builds_them_and_it_names_a_work_pool(name):
    config = deploy_config(name)
    for item in config.get("schedules") or []:
        assert sum(bool(item.get(key)) for key in ("cron", "interval", "rrule")) == 1
    deploy_schedules(config)
    assert config.get("work_pool", {}).get("name")


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_reconcile_settlements_runs_daily_at_half_past_six_business_time(monkeypatch, zone):
    monkeypatch.setenv(TIME_ZONE_VARIABLE, zone)
    config = deploy_config("reconcile-settlements")
    (item,) = deploy_schedules(config)
    schedule = item["schedule"]
    assert isinstance(schedule, CronSchedule)
    assert (schedule.cron, schedule.timezone) == ("30 6 * * *", zone)
    assert config["concurrency_limit"] == 1
    assert config["work_pool"]["name"] == "default"


def test_the_settlement_time_zone_variable_is_the_business_time_zone_setting(monkeypatch):
    raw = next(c for c in read()[0] if c["name"] == "reconcile-settlements")
    assert raw["schedules"][0]["timezone"] == "{{ $" + TIME_ZONE_VARIABLE + " }}"
    monkeypatch.setenv(TIME_ZONE_VARIABLE, "Asia/Tokyo")
    assert ModuleSettings(_env_file=None).business_time_zone == "Asia/Tokyo"  # type: ignore[call-arg]


def test_prefect_deploy_without_the_variable_would_schedule_settlements_without_a_time_zone(
    monkeypatch,
):
    # Why the README says to export the variable before `prefect deploy`: prefect 3.9.1 puts an
    # empty string for an unset `{{ $VAR }}`, and a cron with timezone "" runs in UTC.
    monkeypatch.delenv(TIME_ZONE_VARIABLE)
    (item,) = deploy_schedules(deploy_config("reconcile-settlements"))
    assert item["schedule"].timezone == ""


def test_sync_sweeps_every_two_minutes_one_run_at_a_time():
    config = deploy_config("sync")
    (item,) = deploy_schedules(config)
    assert isinstance(item["schedule"], IntervalSchedule)
    assert item["schedule"].interval.total_seconds() == 120
    assert config["concurrency_limit"] == 1


def test_backfill_settlements_has_no_schedule_and_takes_start_and_end_dates():
    config = deploy_config("backfill-settlements")
    assert not config.get("schedules")
    flow = load_flow_from_entrypoint(config["entrypoint"], use_placeholder_flow=False)
    # As `prefect deployment run -p start=2024-05-01 -p end=2024-05-07` passes them.
    given = flow.validate_parameters({"start": "2024-05-01", "end": "2024-05-07"})
    assert str(given["start"]) == "2024-05-01" and str(given["end"]) == "2024-05-07"
    with pytest.raises(Exception, match="start"):
        flow.validate_parameters({"start": "not a date", "end": "2024-05-07"})


@pytest.mark.parametrize(("field", "bad"), [("cron", "61 6 * * *"), ("timezone", "Europe/Berln")])
def test_the_check_catches_a_bad_cron_or_time_zone(tmp_path, field, bad):
    item = {"cron": "30 6 * * *", "timezone": "Europe/Berlin", field: bad}
    broken = tmp_path / "prefect.yaml"
    broken.write_text(
        f"deployments:\n  - name: x\n    entrypoint: a.py:f\n    schedules:\n      - {item}\n"
    )
    configs, printed = read(broken)
    assert "Skipping" not in printed
    with pytest.raises(ValidationError):
        deploy_schedules(configs[0])

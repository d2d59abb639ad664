"""prefect.yaml checked offline, as `prefect deploy` would read it (prefect-gx-notes.md §4).

`prefect deploy` only warns and skips a prefect.yaml that fails validation, so this test is what
catches a broken file. It covers every deployment the file lists, including ones added later.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from prefect.cli.deploy._models import PrefectYamlModel  # noqa: E402 - private: prefect is pinned
from prefect.client.schemas.schedules import (  # noqa: E402
    CronSchedule,
    IntervalSchedule,
    RRuleSchedule,
)
from prefect.flows import load_flow_from_entrypoint  # noqa: E402
from prefect.utilities.schema_tools.validation import validate  # noqa: E402
from pydantic import ValidationError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RAW: dict[str, Any] = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
NAMES = [d["name"] for d in RAW.get("deployments") or []]


def model() -> PrefectYamlModel:
    return PrefectYamlModel.model_validate(RAW)


def deployment(name: str) -> Any:
    return next(d for d in model().deployments if d.name == name)


def schedule_of(item: Any) -> CronSchedule | IntervalSchedule | RRuleSchedule:
    """The schedule object Prefect builds from one `schedules:` entry (raises when invalid)."""
    if item.cron:
        return CronSchedule(cron=item.cron, timezone=item.timezone, day_or=item.day_or or True)
    if item.interval:
        return IntervalSchedule(interval=item.interval, timezone=item.timezone)
    return RRuleSchedule(rrule=item.rrule, timezone=item.timezone)


def test_prefect_yaml_is_a_valid_deploy_file_with_unique_names():
    assert model().deployments, "prefect.yaml lists no deployments"
    assert len(NAMES) == len(set(NAMES)), f"duplicate deployment names in {NAMES}"


@pytest.mark.parametrize("name", NAMES)
def test_deployment_entrypoint_loads_and_its_parameters_fit_the_flow(name):
    config = deployment(name)
    flow = load_flow_from_entrypoint(config.entrypoint, use_placeholder_flow=False)
    schema = flow.parameters.model_dump()
    # What the server checks when the deployment is created: given values only.
    errors = validate(config.parameters, schema, ignore_required=True)
    assert not errors, [error.message for error in errors]
    for item in config.schedules or []:
        # A scheduled run has nobody to supply a missing parameter: it must be complete.
        flow.validate_parameters({**config.parameters, **(item.parameters or {})})


@pytest.mark.parametrize("name", NAMES)
def test_deployment_schedules_parse_and_it_names_a_work_pool(name):
    config = deployment(name)
    for item in config.schedules or []:
        assert sum(bool(x) for x in (item.cron, item.interval, item.rrule)) == 1
        schedule_of(item)
    assert config.work_pool is not None and config.work_pool.name


def test_reconcile_settlements_runs_daily_at_half_past_six_in_berlin():
    config = deployment("reconcile-settlements")
    (item,) = config.schedules
    schedule = schedule_of(item)
    assert isinstance(schedule, CronSchedule)
    assert (schedule.cron, schedule.timezone) == ("30 6 * * *", "Europe/Berlin")
    assert config.work_pool.name == "default"


def test_backfill_settlements_has_no_schedule_and_takes_start_and_end_dates():
    config = deployment("backfill-settlements")
    assert not config.schedules
    flow = load_flow_from_entrypoint(config.entrypoint, use_placeholder_flow=False)
    # As `prefect deployment run -p start=2024-05-01 -p end=2024-05-07` passes them.
    given = flow.validate_parameters({"start": "2024-05-01", "end": "2024-05-07"})
    assert str(given["start"]) == "2024-05-01" and str(given["end"]) == "2024-05-07"
    with pytest.raises(Exception, match="start"):
        flow.validate_parameters({"start": "not a date", "end": "2024-05-07"})


@pytest.mark.parametrize(("field", "bad"), [("cron", "61 6 * * *"), ("timezone", "Europe/Berln")])
def test_the_check_catches_a_bad_cron_or_time_zone(field, bad):
    item = {"cron": "30 6 * * *", "timezone": "Europe/Berlin", field: bad}
    broken = {**RAW, "deployments": [{"name": "x", "entrypoint": "a.py:f", "schedules": [item]}]}
    parsed = PrefectYamlModel.model_validate(broken)
    with pytest.raises(ValidationError):
        schedule_of(parsed.deployments[0].schedules[0])


def test_serve_offers_the_same_deployments_and_schedules_as_prefect_yaml():
    from deployments.serve import deployments

    served = {d.name: d for d in deployments()}
    assert sorted(served) == sorted(NAMES)
    for name in NAMES:
        listed = [schedule_of(item) for item in deployment(name).schedules or []]
        offered = [s.schedule for s in served[name].schedules or []]
        assert [type(s) for s in offered] == [type(s) for s in listed], name
        for mine, theirs in zip(offered, listed, strict=True):
            if isinstance(mine, CronSchedule):
                assert (mine.cron, mine.timezone) == (theirs.cron, theirs.timezone), name
            if isinstance(mine, IntervalSchedule):
                assert mine.interval == theirs.interval, name

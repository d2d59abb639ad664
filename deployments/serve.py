"""Serve every deployment of prefect.yaml from one process, without a worker.

prefect.yaml is the one list of the module's deployments: `prefect deploy --all` registers them
for a work pool, and `amazon-payments serve` (and `make run`) builds the same deployments from it
here, so adding a deployment to prefect.yaml is enough for both.

What serve takes from each entry: name, entrypoint, description, parameters, schedules (cron,
interval or rrule, with timezone, anchor_date, day_or, active, parameters, slug),
concurrency_limit, tags, version, paused and enforce_parameter_schema. The work pool and the
build/push/pull steps only concern `prefect deploy`. Any other key (triggers, sla, ...) is an
error rather than silently not served.

`{{ $NAME }}` placeholders are resolved as `prefect deploy` resolves them, from the environment,
except that a module setting's variable (`AMAZON_PAYMENTS_<FIELD>`) takes the value of
`ModuleSettings()`, so `.env` and the setting's default count too; the settlement schedule's
`timezone: "{{ $AMAZON_PAYMENTS_BUSINESS_TIME_ZONE }}"` is thus the business time zone.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import yaml
from prefect import Flow, serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig
from prefect.deployments.runner import RunnerDeployment
from prefect.flows import load_flow_from_entrypoint
from prefect.schedules import Schedule
from prefect.utilities.templating import PlaceholderType, find_placeholders
from pydantic import TypeAdapter

from adapters.settings import ModuleSettings

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"
# Keys that only `prefect deploy` uses (where runs execute and how code gets there).
DEPLOY_ONLY = frozenset({"work_pool", "build", "push", "pull", "version_type"})
SERVED = frozenset({
    "name", "entrypoint", "description", "parameters", "schedules", "concurrency_limit", "tags",
    "version", "paused", "enforce_parameter_schema",
})  # fmt: skip
SCHEDULE_KEYS = frozenset({
    "cron", "interval", "rrule", "timezone", "anchor_date", "day_or", "active", "parameters",
    "slug",
})  # fmt: skip


def read_deployments(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    """The `deployments:` entries of a prefect.yaml, as written."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(document.get("deployments") or [])


def variables(settings: ModuleSettings) -> dict[str, str]:
    """What `{{ $NAME }}` stands for: the environment, overlaid with the module's settings."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    values = dict(os.environ)
    for field, value in settings.model_dump().items():
        if value is not None:
            values[f"{prefix}{field}".upper()] = str(value)
    return values


def resolve(template: Any, values: Mapping[str, str], where: str) -> Any:
    """The template with every `{{ $NAME }}` replaced; any other placeholder is an error."""
    if isinstance(template, dict):
        return {key: resolve(value, values, where) for key, value in template.items()}
    if isinstance(template, list):
        return [resolve(value, values, where) for value in template]
    if not isinstance(template, str):
        return template
    for placeholder in find_placeholders(template):
        if placeholder.type is not PlaceholderType.ENV_VAR:
            raise ValueError(
                f"{where}: serve resolves only {{{{ $NAME }}}}, not {placeholder.full_match}"
            )
        name = placeholder.name.removeprefix("$")
        if name not in values:
            raise ValueError(f"{where}: {placeholder.full_match} - {name} is not set")
        template = template.replace(placeholder.full_match, values[name])
    return template


def load_flow(entrypoint: str, root: Path) -> Flow[..., Any]:
    """The flow an entrypoint `path/to/file.py:function` (relative to `root`) names.

    A file of an importable package is loaded by its module name (`flows/sync.py:sync` as
    `flows.sync:sync`): loading it by path would execute the file a second time as a separate
    module with copies of its objects, and put its folder first on sys.path.
    """
    path, _, function = entrypoint.rpartition(":")
    root = root.resolve()
    file = (root / path).resolve()
    module = (
        ".".join(file.relative_to(root).with_suffix("").parts) if file.is_relative_to(root) else ""
    )
    try:
        spec = importlib.util.find_spec(module) if module else None
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin and Path(spec.origin).resolve() == file:
        return load_flow_from_entrypoint(f"{module}:{function}", use_placeholder_flow=False)
    return load_flow_from_entrypoint(f"{file}:{function}", use_placeholder_flow=False)


def schedule_of(item: Mapping[str, Any], where: str) -> Schedule:
    """One `schedules:` entry as the schedule object Prefect serves."""
    unknown = set(item) - SCHEDULE_KEYS
    if unknown:
        raise ValueError(f"{where}: serve does not support schedule keys {sorted(unknown)}")
    fields = dict(item)
    if fields.get("interval") is not None:
        fields["interval"] = TypeAdapter(timedelta).validate_python(fields["interval"])
    if fields.get("anchor_date") is not None:
        fields["anchor_date"] = TypeAdapter(datetime).validate_python(fields["anchor_date"])
    else:
        fields.pop("anchor_date", None)
    for flag in ("day_or", "active"):
        if fields.get(flag) is None:
            fields.pop(flag, None)
    fields["parameters"] = fields.get("parameters") or {}
    return Schedule(**fields)


def deployment_of(
    config: Mapping[str, Any], root: Path, values: Mapping[str, str]
) -> RunnerDeployment:
    """One prefect.yaml entry as the deployment serve runs."""
    where = f"prefect.yaml deployment {config.get('name')!r}"
    unknown = set(config) - SERVED - DEPLOY_ONLY
    if unknown:
        raise ValueError(f"{where}: serve does not support {sorted(unknown)}")
    config = resolve({key: config[key] for key in SERVED if key in config}, values, where)
    schedules = config.get("schedules")
    limit = config.get("concurrency_limit")
    tags = config.get("tags")
    flow = load_flow(config["entrypoint"], root)
    served = flow.to_deployment(
        name=config["name"],
        description=config.get("description"),
        parameters=config.get("parameters") or {},
        schedules=None if schedules is None else [schedule_of(s, where) for s in schedules],
        concurrency_limit=ConcurrencyLimitConfig(**limit) if isinstance(limit, dict) else limit,
        tags=[tags] if isinstance(tags, str) else tags,
        version=config.get("version"),
        paused=config.get("paused"),
        enforce_parameter_schema=config.get("enforce_parameter_schema", True),
    )
    return cast(RunnerDeployment, served)  # called outside an event loop: not a coroutine


def deployments(
    path: Path = PREFECT_YAML, settings: ModuleSettings | None = None
) -> list[RunnerDeployment]:
    """Every deployment of prefect.yaml, ready to serve (entrypoints relative to its folder)."""
    values = variables(settings or ModuleSettings())
    return [deployment_of(config, path.parent, values) for config in read_deployments(path)]


def main() -> None:
    serve(*deployments())


if __name__ == "__main__":
    main()

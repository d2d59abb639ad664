"""`amazon-payments sync`: one sweep in this process, without Prefect (the flow's own code)."""

from __future__ import annotations

import json
import sys

import typer

from cli.context import fail


def sync(
    limit: int = typer.Option(5000, min=1, help="documents per queue"),
    as_json: bool = typer.Option(False, "--json", help="the summary as JSON on the last line"),
) -> None:
    """Run one sweep: exit 0 when it ran (problems are open items), 1 when it failed."""
    from adapters.amazon_pay import AmazonPayError
    from services.resources import Resources
    from services.sweep import summary, sweep_once

    try:
        res = Resources.from_environment()
    except ValueError as problem:
        fail(str(problem))
    try:
        result = summary(sweep_once(res, limit))
    except (AmazonPayError, OSError) as problem:
        fail(f"the sweep failed: {type(problem).__name__}: {problem}")
    except Exception as problem:  # noqa: BLE001 - the store unreachable, and the like
        fail(f"the sweep failed: {type(problem).__name__}")
    finally:
        res.close()
    problems: dict[str, str] = result["problems"]  # type: ignore[assignment]
    if as_json:
        print(json.dumps(result, sort_keys=True))
        return
    worked: dict[str, int] = result["worked"]  # type: ignore[assignment]
    print(", ".join(f"{step}: {count}" for step, count in worked.items()))
    for number, reason in problems.items():
        print(f"{number}: {reason}", file=sys.stderr)

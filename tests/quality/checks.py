"""Assertion helpers for check results."""

from __future__ import annotations

from adapters.quality.result import CheckResult, ExpectationOutcome


def outcome(result: CheckResult, name: str) -> ExpectationOutcome:
    """The outcome of one named expectation (it must have run)."""
    matches = [o for o in result.results if o.name == name]
    assert len(matches) == 1, f"{name} ran {len(matches)} times in {result.message()}"
    return matches[0]


def offending_lines(result: CheckResult, name: str) -> list[int | None]:
    """The source lines named by one expectation's offending rows."""
    return [row.get("source_line") for row in outcome(result, name).offending_rows]

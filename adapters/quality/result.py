"""What a settlement-report check returns: outcomes as plain, JSON-ready data, never exceptions.

Everything here is already JSON-serialisable: identifiers and timestamps are strings (ISO 8601),
money is integer minor units, and nothing numpy or pandas leaks out. A rejected report keeps its
`CheckResult.to_json()` beside it in the database; a flow shows `to_table()` as a Prefect table
artifact.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

# The table artifact shows at most this many offending rows per expectation; the JSON keeps the
# same list. `unexpected_count` always counts them all.
TABLE_ROWS_PER_OUTCOME = 5


@dataclass
class ExpectationOutcome:
    """One expectation's verdict, with the rows that broke it (capped; the count is exact)."""

    name: str  # stable check name, e.g. "sum_equals_stated_total" (see adapters.quality.suite)
    success: bool
    observed: str  # what was found, e.g. "269277 (2692.77 GBP)" or "2 of 1180 rows"
    expected: str = ""  # what should hold, in words
    unexpected_count: int = 0
    offending_rows: list[dict[str, Any]] = field(default_factory=list)
    expectation_type: str = ""  # the GX type behind it, or "pandas" for a vectorised check
    error: str | None = None  # set when the expectation itself could not run (missing column)

    def summary(self) -> str:
        """One line naming the failure and its first offending source lines."""
        if self.success:
            return f"{self.name}: ok"
        lines = [str(r.get("source_line")) for r in self.offending_rows[:TABLE_ROWS_PER_OUTCOME]]
        where = f" at source lines {', '.join(lines)}" if lines else ""
        why = f" ({self.error})" if self.error else ""
        return f"{self.name}: {self.observed}, expected {self.expected}{where}{why}"


@dataclass
class CheckResult:
    """The verdict of one suite run on one parsed report."""

    valid: bool
    suite_name: str
    suite_version: int
    failed_expectations: list[str]
    results: list[ExpectationOutcome]
    settlement_id: str = ""
    row_count: int = 0
    elapsed_ms: int = 0

    @classmethod
    def from_outcomes(cls, outcomes: list[ExpectationOutcome], **meta: Any) -> CheckResult:
        """A result whose validity and failure list follow from the outcomes."""
        failed = [o.name for o in outcomes if not o.success]
        return cls(valid=not failed, failed_expectations=failed, results=outcomes, **meta)

    def message(self) -> str:
        """One line for logs and rejections: which expectations failed and where."""
        if self.valid:
            return f"{self.suite_name}: all {len(self.results)} expectations met"
        failures = "; ".join(o.summary() for o in self.results if not o.success)
        return f"{self.suite_name}: {len(self.failed_expectations)} failed: {failures}"

    def to_table(self) -> list[dict[str, Any]]:
        """Rows for a Prefect table artifact: one per expectation, failures first."""
        ordered = sorted(self.results, key=lambda o: o.success)
        return [
            {
                "expectation": o.name,
                "success": o.success,
                "observed": o.observed,
                "expected": o.expected,
                "unexpected_count": o.unexpected_count,
                "source_lines": ", ".join(
                    str(r.get("source_line")) for r in o.offending_rows[:TABLE_ROWS_PER_OUTCOME]
                ),
                "error": o.error or "",
            }
            for o in ordered
        ]

    def to_json(self) -> dict[str, Any]:
        """The whole result as a JSON-ready dict, for storage beside the report."""
        return asdict(self)


def jsonable(value: Any) -> Any:
    """A cell value as JSON data: ints stay ints, money never becomes a float, times are ISO."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        # A float here is already a defect (money is integer minor units): show it, don't trust it.
        return None if math.isnan(value) else repr(float(value))
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, timedelta | pd.Timedelta):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)

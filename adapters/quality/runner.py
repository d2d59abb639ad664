"""Check a parsed settlement report against `settlement_report_v1` before anything is posted.

Bad data never raises: every broken expectation comes back as an `ExpectationOutcome` naming the
offending rows (source line, transaction id, merchant order id, the bad value). Only programming
errors (a report that is not a ParsedReport) raise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from adapters.quality.engine import ValidationEngine, check_name, validation_engine
from adapters.quality.result import CheckResult, ExpectationOutcome, jsonable
from adapters.quality.suite import (
    DEFAULT_POSTED_AT_TOLERANCE,
    EXPECTED,
    NEG_NET,
    NEG_TOTAL_FEE,
    ROW,
    SUITE_ID,
    SUITE_VERSION,
    VALUE_COLUMNS,
)
from domain.money import Money, MoneyError
from domain.settlement.model import ParsedReport, ReportHeader

if TYPE_CHECKING:
    from great_expectations.core import ExpectationValidationResult

# Offending rows kept per outcome (the JSON stored with the report); unexpected_count is exact.
MAX_OFFENDING_ROWS = 100
# Identifying columns copied into every offending row, when the frame has them.
ROW_IDS: tuple[str, ...] = ("source_line", "transaction_id", "merchant_order_id")
CSV_FORMAT = "amazon-pay-csv"


def check_report(
    report: ParsedReport, *, posted_at_tolerance: timedelta = DEFAULT_POSTED_AT_TOLERANCE
) -> CheckResult:
    """Run the suite on a parsed report and return every outcome as data.

    Args:
        report: what a parser returned: header, canonical frame and, for the Amazon Pay CSV,
            the transaction lines with their stated fees.
        posted_at_tolerance: how far outside [period_start, period_end] a row may be posted
            (bounds inclusive). The real samples need none (every XML, CSV and V1 row lies inside
            its period, some exactly at StartDate); the default day covers formats whose posted
            date is only a day, and is still far smaller than a 14-day period, so rows of another
            settlement fail. See DEFAULT_POSTED_AT_TOLERANCE.

    Returns:
        A CheckResult; `valid` is False when any expectation failed. Bad data never raises.
    """
    if not isinstance(report, ParsedReport):
        raise TypeError(f"check_report needs a ParsedReport, got {type(report).__name__}")
    started = time.perf_counter()
    engine = validation_engine()
    header, frame = report.header, report.frame
    rows = positioned(frame)
    parameters = row_parameters(header, posted_at_tolerance)
    texts = texts_for(header, parameters)
    outcomes = _run(engine, "rows", rows, frame, parameters, texts)
    if {"transaction_kind", "amazon_order_id"} <= set(rows.columns):
        narrow = rows[["transaction_kind", "amazon_order_id"]]
        outcomes += _run(engine, "order_ids", narrow, frame, {}, texts)
    if header.stated_total is not None:
        # Only the summed column: GX fingerprints every frame it loads, so narrow is faster.
        summed = rows[["amount_minor"]] if "amount_minor" in rows else rows.iloc[:, :0]
        outcomes += total_outcomes(engine, header, summed)
    if report.transactions is not None:
        fees = fee_partials(engine, report.transactions)
        outcomes += [merged_outcome([p], {}) for p in fees]
    elif header.report_format == CSV_FORMAT:
        outcomes.append(missing_fee_lines())
    return CheckResult.from_outcomes(
        outcomes,
        suite_name=SUITE_ID,
        suite_version=SUITE_VERSION,
        settlement_id=header.settlement_id,
        row_count=len(frame),
        elapsed_ms=round((time.perf_counter() - started) * 1000),
    )


def row_parameters(header: ReportHeader, tolerance: timedelta) -> dict[str, Any]:
    return {
        "settlement_ids": [header.settlement_id],
        "currencies": [header.currency],
        "posted_at_min": pd.Timestamp(header.period_start - tolerance),
        "posted_at_max": pd.Timestamp(header.period_end + tolerance),
    }


def texts_for(header: ReportHeader, parameters: dict[str, Any]) -> dict[str, str]:
    """The words that fill the `EXPECTED` templates of the row checks."""
    return {
        "settlement_id": header.settlement_id,
        "currency": header.currency,
        "posted_at_min": parameters["posted_at_min"].isoformat(),
        "posted_at_max": parameters["posted_at_max"].isoformat(),
    }


def total_outcomes(
    engine: ValidationEngine, header: ReportHeader, summed: pd.DataFrame
) -> list[ExpectationOutcome]:
    """The stated-total check on `summed`: the report's amount_minor column, or any frame whose
    amounts add up to the same (one row holding the running sum of a chunked report)."""
    total, minor = header.stated_total, header.stated_total_minor
    if total is None or minor is None:
        return []
    if total.currency != header.currency:
        return [
            ExpectationOutcome(
                name="sum_equals_stated_total",
                success=False,
                observed=f"stated total in {total.currency}",
                expected=f"a total in {header.currency}",
                expectation_type="pandas",
                error="the stated total's currency differs from the header's",
            )
        ]
    texts = {"stated_total": f"{minor} ({total})", "currency": total.currency}
    parameters = {"stated_total_minor": minor}
    return _run(engine, "total", summed, summed, parameters, texts, total_minor=minor)


def missing_fee_lines() -> ExpectationOutcome:
    """The Amazon Pay CSV came without its transaction lines: the fee checks cannot run."""
    return ExpectationOutcome(
        name="fee_columns_present",
        success=False,
        observed="no transaction lines",
        expected=EXPECTED["fee_columns_present"],
        expectation_type="pandas",
    )


def fee_partials(engine: ValidationEngine, lines: pd.DataFrame, offset: int = 0) -> list[Partial]:
    """The fee arithmetic on Amazon Pay CSV lines, the first of them line `offset` of the report."""
    derived: dict[str, Any] = {}
    # Negated copies turn "a + b = c" into "a + b + (-c) = 0" for ExpectMulticolumnSumToEqual.
    # A non-integer column gets no copy, so the sum check fails on it instead of raising here.
    for column, negated in (("total_fee_minor", NEG_TOTAL_FEE), ("net_minor", NEG_NET)):
        if column in lines and pd.api.types.is_integer_dtype(lines[column].dtype):
            derived[negated] = -lines[column]
    results = engine.validate("fees", positioned(lines).assign(**derived), {})
    return [partial(r, lines, offset) for r in results]


def _run(
    engine: ValidationEngine,
    part: str,
    checked: pd.DataFrame,
    source: pd.DataFrame,
    parameters: dict[str, Any],
    texts: dict[str, str],
    *,
    total_minor: int | None = None,
) -> list[ExpectationOutcome]:
    results = engine.validate(part, checked, parameters)
    return [merged_outcome([partial(r, source)], texts, total_minor) for r in results]


@dataclass
class Partial:
    """One expectation's result on one frame (a whole report or one chunk of it)."""

    name: str
    success: bool
    result: dict[str, Any]  # GX's result dict (counts, observed value, details)
    offending_rows: list[dict[str, Any]]  # "row" numbered in the whole report
    expectation_type: str
    kwargs: dict[str, Any]
    error: str | None


def partial(r: ExpectationValidationResult, source: pd.DataFrame, offset: int = 0) -> Partial:
    """A GX result with its offending rows read from `source` (whose first row is `offset`)."""
    name = check_name(r)
    result: dict[str, Any] = dict(r.result or {})
    positions = _positions(result.get("unexpected_index_list"))
    return Partial(
        name=name,
        success=bool(r.success),
        result=result,
        offending_rows=offending_rows(source, positions, VALUE_COLUMNS.get(name, ()), offset),
        expectation_type=str(r.expectation_config.type if r.expectation_config else ""),
        kwargs=dict(r.expectation_config.kwargs if r.expectation_config else {}),
        error=_error(r.exception_info),
    )


def merged_outcome(
    parts: list[Partial], texts: dict[str, str], total_minor: int | None = None
) -> ExpectationOutcome:
    """One expectation's verdict over consecutive frames: counts added, rows in report order."""
    first = next((p for p in parts if not p.success), parts[0])
    result = dict(first.result)  # table-level values (columns, dtype) from the first failure
    count = sum(int(p.result.get("unexpected_count") or 0) for p in parts)
    if all("element_count" in p.result for p in parts):
        result["element_count"] = sum(int(p.result["element_count"]) for p in parts)
    success = all(p.success for p in parts)
    if total_minor is not None:
        # GX turns min/max into floats and compares through numpy, so past 2**53 minor units two
        # different totals look equal. Its observed sum is an exact int64: decide on that.
        observed_sum = jsonable(result.get("observed_value"))
        success = isinstance(observed_sum, int) and observed_sum == total_minor
    currency = texts.get("currency") if total_minor is not None else None
    name = first.name
    return ExpectationOutcome(
        name=name,
        success=success,
        observed=_observed(result, count, currency, first.kwargs.get("exact_match", True)),
        expected=EXPECTED[name].format(**texts) if name in EXPECTED else "",
        unexpected_count=count,
        offending_rows=[row for p in parts for row in p.offending_rows][:MAX_OFFENDING_ROWS],
        expectation_type=first.expectation_type,
        error=next((p.error for p in parts if p.error), None),
    )


def positioned(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame (not copied) indexed by row position, the index named ROW for GX to report."""
    return frame.set_axis(pd.RangeIndex(len(frame), name=ROW), axis=0)


def _positions(index_list: Any) -> list[int]:
    # With exclude_unexpected_values GX gives [{ROW: [positions]}]; without, [{ROW: p}, ...].
    positions: list[int] = []
    for item in index_list or []:
        if isinstance(item, dict) and ROW in item:
            value = item[ROW]
            positions.extend(value if isinstance(value, list) else [value])
        if len(positions) >= MAX_OFFENDING_ROWS:
            break
    return [int(p) for p in positions[:MAX_OFFENDING_ROWS]]


def _observed(result: dict[str, Any], count: int, currency: str | None, exact: bool) -> str:
    details = result.get("details") or {}
    mismatched = details.get("mismatched") if isinstance(details, dict) else None
    if isinstance(mismatched, dict):
        # Extra columns only matter where the set must match exactly (the canonical frame).
        shown = {k: v for k, v in mismatched.items() if v and (exact or k == "missing")}
        parts = [f"{k}: {', '.join(map(str, v))}" for k, v in sorted(shown.items())]
        return "; ".join(parts)
    if "observed_value" in result:
        value = jsonable(result["observed_value"])
        if isinstance(value, list):  # the table's columns
            return f"{len(value)} columns"
        if currency is not None and isinstance(value, int):
            return f"{value} ({_money_text(value, currency)})"
        return str(value)
    if "element_count" in result:
        return f"{count} of {int(result['element_count'])} rows"
    return "not evaluated"


def offending_rows(
    source: pd.DataFrame, positions: list[int], value_columns: tuple[str, ...], offset: int = 0
) -> list[dict[str, Any]]:
    if not positions:
        return []
    picked = source.iloc[positions]
    rows: list[dict[str, Any]] = []
    for position, (_, cells) in zip(positions, picked.iterrows(), strict=True):
        row: dict[str, Any] = {"row": offset + position}
        row.update({c: jsonable(cells[c]) for c in ROW_IDS if c in cells.index})
        values = {c: jsonable(cells[c]) for c in value_columns if c in cells.index}
        row["value"] = next(iter(values.values())) if len(values) == 1 else values
        rows.append(row)
    return rows


def _error(info: Any) -> str | None:
    # GX reports either one {"raised_exception": ...} dict or one such dict per failed metric.
    if not isinstance(info, dict):
        return None
    candidates = [info] if "raised_exception" in info else list(info.values())
    for candidate in candidates:
        if isinstance(candidate, dict) and candidate.get("raised_exception"):
            message = str(candidate.get("exception_message") or "expectation could not run")
            return message.strip().splitlines()[0][:300]
    return None


def _money_text(minor: int, currency: str) -> str:
    try:
        return str(Money.from_minor(minor, currency))
    except MoneyError:
        return f"{minor} minor units"

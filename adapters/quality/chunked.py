"""Check a settlement report chunk by chunk: the verdict and offending rows of `check_report`
on the whole frame, with memory that follows the chunk, not the report.

Each chunk runs the suite's row expectations (GX, the same expectations as the whole-frame
check), its order-id and, for the Amazon Pay CSV, its fee expectations; their counts add up and
their offending rows keep the report's row numbers. The per-row checks against the header (one
settlement, one currency: the header's, the period) are exact chunk by chunk because the header
is known before the first chunk. What only the whole report can tell is kept as exact running
aggregates: the sum of the amounts (checked against the stated total by the same GX expectation,
on one row holding the sum) and the uniqueness of the row key (adapters.quality.unique_rows).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from adapters.quality.engine import ValidationEngine, validation_engine
from adapters.quality.result import CheckResult, ExpectationOutcome
from adapters.quality.runner import (
    CSV_FORMAT,
    MAX_OFFENDING_ROWS,
    Partial,
    fee_partials,
    merged_outcome,
    missing_fee_lines,
    offending_rows,
    partial,
    positioned,
    row_parameters,
    texts_for,
    total_outcomes,
)
from adapters.quality.suite import (
    DEFAULT_POSTED_AT_TOLERANCE,
    EXPECTED,
    REPORT_WIDE_ROW_CHECK,
    ROW,
    SUITE_ID,
    SUITE_VERSION,
    VALUE_COLUMNS,
)
from adapters.quality.unique_hashes import UniqueHashes
from adapters.quality.unique_rows import UniqueRows
from domain.settlement.model import UNIQUE_KEY, ReportChunk, ReportHeader


def check_report_chunks(
    chunks: Iterable[ReportChunk],
    *,
    posted_at_tolerance: timedelta = DEFAULT_POSTED_AT_TOLERANCE,
    reread: Callable[[], Iterable[ReportChunk]] | None = None,
) -> CheckResult:
    """Run the suite over a report's chunks (from `iter_report`) and return every outcome.

    Args:
        chunks: the report's chunks in order, the last one `final`; each is checked and dropped.
        posted_at_tolerance: as for `check_report`.
        reread: the same chunks once more, from the start. Given, the row-key uniqueness keeps
            8 bytes a row and reads the report again only to confirm repeated hashes
            (adapters.quality.unique_hashes); without it, about 40 bytes a row in one pass
            (adapters.quality.unique_rows).

    Returns:
        The CheckResult `check_report` gives for the chunks' concatenation (elapsed_ms aside).
    """
    started = time.perf_counter()
    running: _Running | None = None
    for chunk in chunks:
        if running is None:
            running = _Running(validation_engine(), chunk.header, posted_at_tolerance, reread)
        running.add(chunk)
    if running is None:
        raise ValueError("no chunks: a parser yields at least its final chunk")
    return running.result(started)


class _Running:
    """What the chunks so far have shown, per expectation."""

    def __init__(
        self,
        engine: ValidationEngine,
        header: ReportHeader,
        tolerance: timedelta,
        reread: Callable[[], Iterable[ReportChunk]] | None,
    ):
        self.engine = engine
        self.header = header
        self.parameters = row_parameters(header, tolerance)
        self.texts = texts_for(header, self.parameters)
        self.partials: dict[str, list[Partial]] = defaultdict(list)
        self.unique = UniqueRows(MAX_OFFENDING_ROWS)
        self.hashes = UniqueHashes(MAX_OFFENDING_ROWS) if reread is not None else None
        self.reread = reread
        self.unique_by_gx = False  # a chunk lacked key columns: GX's own check, chunk by chunk
        self.sum = 0
        # amount columns to hand GX when they are not int64; None when a chunk lacks them
        self.sum_columns: list[pd.Series] | None = []
        self.rows = 0
        self.has_lines = False

    def add(self, chunk: ReportChunk) -> None:
        frame, offset = chunk.frame, chunk.first_row
        rows = positioned(frame)
        self._keep(self.engine.validate("chunk_rows", rows, self.parameters), frame, offset)
        if set(UNIQUE_KEY) <= set(frame.columns) and not self.unique_by_gx:
            if self.hashes is not None:
                self.hashes.add(frame)
            else:
                self.unique.add(frame, lambda positions: self._cells(frame, positions, offset))
        else:
            self.unique_by_gx = True
            self._keep(self.engine.validate("unique", rows, self.parameters), frame, offset)
        if {"transaction_kind", "amazon_order_id"} <= set(rows.columns):
            narrow = rows[["transaction_kind", "amazon_order_id"]]
            self._keep(self.engine.validate("order_ids", narrow, {}), frame, offset)
        self._add_to_sum(frame)
        if chunk.transactions is not None:
            self.has_lines = True
            for p in fee_partials(self.engine, chunk.transactions, chunk.first_transaction):
                self.partials[p.name].append(p)
        self.rows += len(frame)

    def _keep(self, results: list[Any], frame: pd.DataFrame, offset: int) -> None:
        for r in results:
            p = partial(r, frame, offset)
            self.partials[p.name].append(p)

    @staticmethod
    def _cells(frame: pd.DataFrame, positions: list[int], offset: int) -> list[dict[str, Any]]:
        return offending_rows(frame, positions, VALUE_COLUMNS[REPORT_WIDE_ROW_CHECK], offset)

    def _add_to_sum(self, frame: pd.DataFrame) -> None:
        if self.sum_columns is None:
            return
        if "amount_minor" not in frame:
            self.sum_columns = None  # as on the whole frame: GX reports the missing column
            return
        column = frame["amount_minor"]
        if column.dtype == np.int64 and not self.sum_columns:
            self.sum += int(column.sum())  # exact: the parser bounds the amounts' magnitudes
            return
        if not self.sum_columns and self.rows:  # not int64 from here: GX sums what there is
            self.sum_columns.append(pd.Series([self.sum], dtype=np.int64))
        self.sum_columns.append(column)

    def result(self, started: float) -> CheckResult:
        outcomes: list[ExpectationOutcome] = []
        for name in self.engine.names("rows"):
            if name == REPORT_WIDE_ROW_CHECK and not self.unique_by_gx:
                outcomes.append(self._uniqueness())
            else:
                outcomes.append(merged_outcome(self.partials[name], self.texts))
        for name in self.engine.names("order_ids"):
            if self.partials[name]:
                outcomes.append(merged_outcome(self.partials[name], self.texts))
        if self.header.stated_total is not None:
            outcomes += total_outcomes(self.engine, self.header, self._summed())
        if self.has_lines:
            outcomes += [merged_outcome(self.partials[n], {}) for n in self.engine.names("fees")]
        elif self.header.report_format == CSV_FORMAT:
            outcomes.append(missing_fee_lines())
        return CheckResult.from_outcomes(
            outcomes,
            suite_name=SUITE_ID,
            suite_version=SUITE_VERSION,
            settlement_id=self.header.settlement_id,
            row_count=self.rows,
            elapsed_ms=round((time.perf_counter() - started) * 1000),
        )

    def _uniqueness(self) -> ExpectationOutcome:
        if self.hashes is not None and self.reread is not None:
            count, offending = self.hashes.outcome(self.reread, _Running._cells)
        else:
            count, offending = self.unique.outcome()
        return ExpectationOutcome(
            name=REPORT_WIDE_ROW_CHECK,
            success=count == 0,
            observed=f"{count} of {self.rows} rows",
            expected=EXPECTED[REPORT_WIDE_ROW_CHECK],
            unexpected_count=count,
            offending_rows=offending,
            expectation_type="expect_compound_columns_to_be_unique",
        )

    def _summed(self) -> pd.DataFrame:
        """A frame whose amount_minor adds up to the report's: one row holding the exact sum."""
        index = pd.RangeIndex
        if self.sum_columns is None:
            return pd.DataFrame(index=index(self.rows, name=ROW))  # no column: GX names it
        if self.sum_columns:  # not int64 somewhere: GX sums what there is, as on the whole
            column = pd.concat(self.sum_columns, ignore_index=True)
            return pd.DataFrame({"amount_minor": column}).set_axis(index(len(column), name=ROW))
        values = np.array([self.sum] if self.rows else [], dtype=np.int64)
        return pd.DataFrame({"amount_minor": values}, index=index(len(values), name=ROW))

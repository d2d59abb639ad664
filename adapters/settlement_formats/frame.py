"""Assemble the canonical settlement frame from column lists, with the contract's exact dtypes.

Parsers collect one Python list (or numpy array) per column while they stream and call
`build_frame` once at the end: one conversion per column is far cheaper than per-row pandas work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from adapters.settlement_formats.values import Column
from domain.settlement.model import FRAME_COLUMNS, ParsedReport, ReportChunk


def build_frame(columns: Mapping[str, Column], constants: Mapping[str, str]) -> pd.DataFrame:
    """The canonical frame from per-column values plus columns that hold one value throughout.

    Args:
        columns: every frame column not in `constants`; `posted_at` as int64 UTC nanoseconds
            (int64 min for a missing date), `amount_minor` as int64.
        constants: columns with the same string on every row (settlement_id, report_format).
    """
    missing = set(FRAME_COLUMNS) - set(columns) - set(constants)
    if missing:
        raise ValueError(f"frame columns not supplied: {sorted(missing)}")
    length = len(columns["amount_minor"])
    data = {}
    for name, dtype in FRAME_COLUMNS.items():
        if name in constants:
            data[name] = _string_column(np.full(length, constants[name], dtype=object))
        else:
            data[name] = _column(columns[name], dtype)
        if len(data[name]) != length:
            raise ValueError(f"column {name} has {len(data[name])} values, expected {length}")
    return pd.DataFrame(data, copy=False)  # the columns are fresh: no second copy


def _column(values: Column, dtype: str) -> pd.Series:
    if dtype == "string":
        return _string_column(values)
    if dtype == "datetime64[ns, UTC]":
        stamps = np.asarray(values, dtype=np.int64).view("datetime64[ns]")
        return pd.Series(stamps).dt.tz_localize("UTC")
    if dtype == "int64":
        return pd.Series(np.asarray(values, dtype=np.int64))
    return pd.Series(pd.array(values, dtype=dtype))


def _string_column(values: Column) -> pd.Series:
    return pd.Series(pd.array(values, dtype="string"))


def concat_chunks(chunks: Iterable[ReportChunk]) -> ParsedReport:
    """The whole report from its chunks: frames (and CSV lines) one after another."""
    frames: list[pd.DataFrame] = []
    lines: list[pd.DataFrame] = []
    last: ReportChunk | None = None
    for chunk in chunks:
        frames.append(chunk.frame)
        if chunk.transactions is not None:
            lines.append(chunk.transactions)
        last = chunk
    if last is None:
        raise ValueError("a parser yields at least its final chunk")
    return ParsedReport(
        header=last.header,
        frame=_concat(frames),
        transactions=_concat(lines) if lines else None,
        skipped_elements=last.skipped_elements,
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One frame (not copied when there is only one), numbered 0..n-1 as a parser's own."""
    filled = [frame for frame in frames if len(frame)] or frames[:1]
    if len(filled) == 1:
        return filled[0]
    return pd.concat(filled, ignore_index=True)

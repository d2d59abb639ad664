"""The uniqueness of the row key over a report seen chunk by chunk, in about 40 bytes a row.

Each row's key (UNIQUE_KEY, missing values equal, as pandas and GX compare them) is kept as two
independent 64-bit hashes plus its source line (and each distinct first hash once more, sorted,
with the row where it first occurred). Rows whose 128 bits coincide are duplicates:
with a million rows the chance that two different keys coincide is about 10**-27, far below any
other error in the pipeline. The offending rows are reported as GX reports them on the whole
frame: every member of a duplicate group, in report order, the first MAX_OFFENDING_ROWS with
their cells. A duplicate group's members share their key cells, so the cells are copied from the
member that revealed the group (a later row whose first hash was seen before) and only the row
number and source line differ per member.
"""

from __future__ import annotations

import bisect
import heapq
from typing import Any

import numpy as np
import pandas as pd

from domain.settlement.model import UNIQUE_KEY

_HASH_KEYS = ("0123456789123456", "settlementv1keys")  # pandas' default, and a second one
_NO_LINE = np.iinfo(np.int64).min


class UniqueRows:
    """Row-key hashes of the chunks so far, and the cells of the duplicate groups that matter."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self._first: list[np.ndarray] = []  # per chunk: first hash of each row
        self._second: list[np.ndarray] = []
        self._lines: list[np.ndarray] = []
        self._starts: list[int] = []  # the first row of each chunk
        self._seen = np.empty(0, dtype=np.uint64)  # first hashes so far, sorted, distinct
        self._seen_at = np.empty(0, dtype=np.int64)  # the row where each was first seen
        # (hash pair) -> (first row of its group, key cells); at most the max_rows groups that
        # start first: only they can hold the first max_rows offending rows.
        self._cells: dict[tuple[int, int], tuple[int, dict[str, Any]]] = {}
        self.rows = 0

    def add(self, frame: pd.DataFrame, cells_of: Any) -> None:
        """Take the next chunk (its first row is row `self.rows` of the report).

        Args:
            cells_of: cells_of(positions) -> offending-row dicts of those chunk positions.
        """
        key = frame[list(UNIQUE_KEY)]
        first = pd.util.hash_pandas_object(key, index=False, hash_key=_HASH_KEYS[0]).to_numpy()
        second = pd.util.hash_pandas_object(key, index=False, hash_key=_HASH_KEYS[1]).to_numpy()
        lines = (
            frame["source_line"].to_numpy(dtype=np.int64, na_value=_NO_LINE)
            if "source_line" in frame
            else np.full(len(frame), _NO_LINE, dtype=np.int64)
        )
        self._first.append(first)
        self._second.append(second)
        self._lines.append(lines)
        self._starts.append(self.rows)
        self._remember_groups(first, second, cells_of)
        self.rows += len(frame)

    def _remember_groups(self, first: np.ndarray, second: np.ndarray, cells_of: Any) -> None:
        values, where, counts = np.unique(first, return_index=True, return_counts=True)
        slot = np.searchsorted(self._seen, values).clip(max=max(len(self._seen) - 1, 0))
        earlier = (self._seen[slot] == values) if len(self._seen) else np.zeros(len(values), bool)
        candidates = earlier | (counts > 1)
        starts = np.where(earlier, self._seen_at[slot] if len(self._seen) else 0, where + self.rows)
        if candidates.any():
            repeated = np.isin(first, values[candidates])
            self._remember(first, second, values, starts, repeated, cells_of)
        new = ~earlier  # values are sorted: inserting them keeps `_seen` sorted
        slots = np.searchsorted(self._seen, values[new])
        self._seen = np.insert(self._seen, slots, values[new])
        self._seen_at = np.insert(self._seen_at, slots, (where + self.rows)[new])

    def _remember(
        self,
        first: np.ndarray,
        second: np.ndarray,
        values: np.ndarray,
        starts: np.ndarray,
        repeated: np.ndarray,
        cells_of: Any,
    ) -> None:
        """Cells of the groups revealed in this chunk that are among the first to start."""
        found: dict[tuple[int, int], tuple[int, int]] = {}  # pair -> (group start, position)
        for position in np.flatnonzero(repeated).tolist():
            pair = (int(first[position]), int(second[position]))
            if pair not in self._cells and pair not in found:
                start = int(starts[np.searchsorted(values, first[position])])
                found[pair] = (start, position)
        known = [start for start, _cells in self._cells.values()]
        chosen = heapq.nsmallest(self.max_rows, [*found.items()], key=lambda kv: kv[1][0])
        if len(known) >= self.max_rows:
            cutoff = sorted(known)[self.max_rows - 1]
            chosen = [kv for kv in chosen if kv[1][0] < cutoff]
        if chosen:
            cells = cells_of([position for _pair, (_start, position) in chosen])
            for (pair, (start, _position)), row in zip(chosen, cells, strict=True):
                self._cells[pair] = (start, row)
        if len(self._cells) > 2 * self.max_rows:
            kept = heapq.nsmallest(self.max_rows, self._cells.items(), key=lambda kv: kv[1][0])
            self._cells = dict(kept)

    def outcome(self) -> tuple[int, list[dict[str, Any]]]:
        """How many rows share their key with another row, and the first of them with cells.

        Called once, at the end: it frees the running state as it goes, to keep the peak low.
        """
        if not self._first:
            return 0, []
        self._seen = np.empty(0, dtype=np.uint64)
        self._seen_at = np.empty(0, dtype=np.int64)
        first, self._first = np.concatenate(self._first), []
        second, self._second = np.concatenate(self._second), []
        order = np.lexsort((second, first))
        in_order = first[order]
        same = in_order[1:] == in_order[:-1]
        in_order = second[order]
        same &= in_order[1:] == in_order[:-1]
        del in_order
        member = np.zeros(len(order), dtype=bool)
        member[1:] |= same
        member[:-1] |= same
        offending = np.sort(order[member])
        del order, member, same
        rows: list[dict[str, Any]] = []
        for position in offending[: self.max_rows].tolist():
            pair = (int(first[position]), int(second[position]))
            cells = self._cells.get(pair, (0, {"row": position, "source_line": None}))[1]
            line = self._line(position)
            row = {**cells, "row": position}
            if "source_line" in row:
                row["source_line"] = None if line == _NO_LINE else line
            rows.append(row)
        return len(offending), rows

    def _line(self, position: int) -> int:
        chunk = bisect.bisect_right(self._starts, position) - 1
        return int(self._lines[chunk][position - self._starts[chunk]])

"""The uniqueness of the row key over a report seen chunk by chunk, in 8 bytes a row.

The first pass keeps one 64-bit hash per distinct row key (UNIQUE_KEY; missing values equal,
as pandas and GX compare them), sorted, and notes every hash met twice: a suspect. Suspects
are confirmed on a second pass over the report (only when there are any): the rows whose hash
is a suspect are grouped by their exact key cells, so two different keys that share a hash are
told apart, and the offending rows come out as GX reports them on the whole frame: every
member of a duplicate group, in report order, the first MAX_OFFENDING_ROWS with their cells.
A valid report has no suspects (a chance of about 10**-7 at a million rows) and is read once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from domain.settlement.model import UNIQUE_KEY, ReportChunk

_HASH_KEY = "0123456789123456"  # pandas' default
# Groups (by first appearance) whose key cells are kept in the second pass: every group that
# can hold one of the first MAX_OFFENDING_ROWS offending rows, unless more than this many
# minus MAX_OFFENDING_ROWS different keys shared a 64-bit hash before them.
_EXTRA_GROUPS = 1000

CellsOf = Callable[[pd.DataFrame, list[int], int], list[dict[str, Any]]]


def key_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of the frame's row key."""
    key = frame[list(UNIQUE_KEY)]
    hashes: np.ndarray = pd.util.hash_pandas_object(key, index=False, hash_key=_HASH_KEY).to_numpy()
    return hashes


class UniqueHashes:
    """Sorted distinct row-key hashes of the chunks so far, and the hashes met twice."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        # the distinct hashes so far, sorted, in the first `_size` slots of a buffer that grows
        # in place (realloc): no second copy of the set is ever made
        self._buffer = np.empty(0, dtype=np.uint64)
        self._size = 0
        self._suspects: list[np.ndarray] = []
        self.rows = 0

    def add(self, frame: pd.DataFrame) -> None:
        """Take the next chunk: its hashes join the set, repeats become suspects."""
        values, counts = np.unique(key_hashes(frame), return_counts=True)
        self._reserve(self._size + len(values))
        seen = self._buffer[: self._size]
        if len(seen):
            slots = np.searchsorted(seen, values).clip(max=len(seen) - 1)
            earlier = seen[slots] == values
        else:
            earlier = np.zeros(len(values), dtype=bool)
        repeated = values[earlier | (counts > 1)]
        if len(repeated):
            self._suspects.append(repeated)
        new = values[~earlier]
        end = self._size + len(new)
        self._buffer[self._size : end] = new
        # two sorted runs: the stable sort (timsort) merges them with a buffer of the new run
        self._buffer[:end].sort(kind="stable")
        self._size = end
        self.rows += len(frame)

    def _reserve(self, size: int) -> None:
        """Room for `size` hashes; the buffer grows by a quarter at least, in place."""
        if size > len(self._buffer):
            self._buffer.resize(max(size, len(self._buffer) * 5 // 4), refcheck=False)

    def outcome(
        self, reread: Callable[[], Iterable[ReportChunk]], cells_of: CellsOf
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many rows share their exact key with another row, and the first with cells.

        Args:
            reread: the report's chunks once more, as the first pass saw them; called only
                when some hash was met twice.
            cells_of: cells_of(frame, positions, first_row) -> offending-row dicts.
        """
        self._buffer, self._size = np.empty(0, dtype=np.uint64), 0  # freed before the second pass
        if not self._suspects:
            return 0, []
        suspects = np.unique(np.concatenate(self._suspects))
        self._suspects = []
        groups: dict[tuple[Any, ...], int] = {}
        cells: dict[int, dict[str, Any]] = {}  # group -> cells of its first member
        members: list[tuple[int, int, int | None]] = []  # (row, group, source line), in order
        for chunk in reread():
            frame, offset = chunk.frame, chunk.first_row
            positions = np.flatnonzero(np.isin(key_hashes(frame), suspects)).tolist()
            if not positions:
                continue
            keys = frame[list(UNIQUE_KEY)].iloc[positions].itertuples(index=False, name=None)
            lines = _lines(frame, positions)
            firsts: list[tuple[int, int]] = []  # (position, group) of groups first met here
            for position, key, line in zip(positions, keys, lines, strict=True):
                count = len(groups)
                group = groups.setdefault(key, count)
                if group == count and count < self.max_rows + _EXTRA_GROUPS:
                    firsts.append((position, group))
                members.append((offset + position, group, line))
            found = cells_of(frame, [position for position, _group in firsts], offset)
            cells.update((group, row) for (_p, group), row in zip(firsts, found, strict=True))
        sizes = np.bincount([group for _row, group, _line in members], minlength=len(groups))
        offending = [member for member in members if sizes[member[1]] > 1]
        first = offending[: self.max_rows]
        return len(offending), [_member(cells.get(group), row, line) for row, group, line in first]


def _lines(frame: pd.DataFrame, positions: list[int]) -> list[int | None]:
    if "source_line" not in frame:
        return [None] * len(positions)
    values = frame["source_line"].iloc[positions].tolist()
    return [None if pd.isna(value) else int(value) for value in values]


def _member(first: dict[str, Any] | None, row: int, line: int | None) -> dict[str, Any]:
    """A member's offending row: its group's cells, with its own row and source line."""
    if first is None:  # only past _EXTRA_GROUPS keys that shared a hash with another
        return {"row": row, "source_line": line}
    member = {**first, "row": row}
    if "source_line" in member:
        member["source_line"] = line
    return member
